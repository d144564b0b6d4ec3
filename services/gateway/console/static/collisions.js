// The collision (duplicate) search as one types: from two characters, 300 ms after the
// last key, only the newest answer shown. Matches are masked as the API returns them.
import { api, debounce, enumText, fill, h, showProblem, Problem, t } from "./app.js";

export const MIN_CHARS = 2;
export const DELAY_MS = 300;

function owner(match) {
  if (match.archived) return t("collision.archived");
  if (match.in_pool) return t("collision.in_pool");
  const o = match.ownership;
  if (!o || !o.owner_id) return t("collision.nobody");
  return t("collision.held_by", { owner: o.owner_name || o.owner_id, stage: enumText(o.stage) });
}

export function matchItem(match, extra = null) {
  return h("li", { class: "match", dataset: { id: match.id, kind: match.kind } },
    h("span", { class: `chip ${match.kind === "RECORD_KIND_LEAD" ? "lead" : "customer"}` },
      enumText(match.kind)),
    " ", h("strong", { class: "match-name" }, match.name),
    match.phone ? h("span", { class: "phone" }, ` ${match.phone}`) : null,
    h("span", { class: "muted" }, ` · ${[match.province, match.industry].filter(Boolean).join(" · ")}`),
    h("div", { class: "owner" }, owner(match), " · ", enumText(match.match_type)),
    extra ? extra(match) : null);
}

/** Wire ``input`` to search as one types and show matches in ``results``. */
export function collisionSearch({ input, results, includeLeads = () => true, extra = null, only = null }) {
  let latest = 0;
  const run = async () => {
    const keyword = input.value.trim();
    const asked = ++latest;
    if (keyword.length < MIN_CHARS) {
      fill(results, keyword ? h("p", { class: "hint" }, t("collision.too_short", { n: MIN_CHARS })) : "");
      results.dataset.state = "idle";
      return;
    }
    results.dataset.state = "searching";
    try {
      const answer = await api("GET", "/api/customers/collisions",
        { query: { keyword, include_leads: includeLeads(), page_size: 20 } });
      if (asked !== latest) return;  // a newer keystroke asked again
      const matches = (answer.matches || []).filter((m) => !only || only(m));
      fill(results, matches.length
        ? [h("p", { class: "summary" }, t("collision.found", { n: matches.length, keyword })),
          h("ul", { class: "matches" }, matches.map((m) => matchItem(m, extra)))]
        : h("p", { class: "empty none-found" }, t("collision.none", { keyword })));
      results.dataset.state = "done";
      results.dataset.keyword = keyword;
    } catch (error) {
      if (asked !== latest) return;
      results.dataset.state = "failed";
      if (error instanceof Problem) showProblem(error);
    }
  };
  const later = debounce(run, DELAY_MS);
  input.addEventListener("input", later);
  return { run, later };
}
