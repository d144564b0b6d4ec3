// Home: what the signed-in person can open, and (reps, managers) the customers due
// for contact.
import { api, customerName, fill, hasRole, start, t, table, when } from "../app.js";

const me = await start();
fill("greeting", t("home.greeting", { name: me.display_name || me.username }),
  " ", t("home.roles", { roles: me.roles.map((r) => t(`role.${r}`)).join("、") }));

if (hasRole("pre_sales", "after_sales", "manager")) {
  try {
    const due = await api("GET", "/api/follow-ups/due");
    fill("due-list", table({
      caption: t("home.due"), rows: due.due || [], empty: t("home.none_due"),
      columns: [
        { label: t("common.customer"), render: (c) => c.customer_name || customerName(c.customer_id) },
        { label: t("followup.next_contact_at"), render: (c) => when(c.next_contact_at) },
        { label: t("followup.notes"), render: (c) => c.last_notes },
      ],
    }));
  } catch {
    fill("due-list", t("common.unavailable"));
  }
}
document.body.dataset.loaded = "true";
