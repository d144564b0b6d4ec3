// No such page: the header still works (the person, the language switch).
import { start } from "../app.js";

await start();
document.body.dataset.loaded = "true";
