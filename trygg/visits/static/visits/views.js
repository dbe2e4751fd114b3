// Drawing the visit app's lists from the phone's data. Everything is built with DOM calls and
// textContent, never HTML strings: names come from the case system.
const STRINGS = JSON.parse(document.getElementById("visit-strings").textContent);
const LANGUAGE = document.documentElement.lang || "sv";
const CLOCK = new Intl.DateTimeFormat(LANGUAGE, { hour: "2-digit", minute: "2-digit" });

const PLURAL = new Intl.PluralRules(LANGUAGE);

// A string of the interface, with `{name}` filled in; for a count of one, its `_one` form.
export function t(key, values = {}) {
  const one = "count" in values && PLURAL.select(Number(values.count)) === "one" ? STRINGS[`${key}_one`] : null;
  const text = one || STRINGS[key] || key;
  return text.replace(/\{(\w+)\}/g, (whole, name) => (name in values ? String(values[name]) : whole));
}

export function clock(moment) {
  return CLOCK.format(new Date(moment));
}

export function element(tag, attributes = {}, ...children) {
  const node = document.createElement(tag);
  for (const [name, value] of Object.entries(attributes)) {
    if (value === false || value === null || value === undefined) continue;
    if (name === "class") node.className = value;
    else if (name === "text") node.textContent = value;
    else if (name.startsWith("data-")) node.setAttribute(name, value);
    else if (name in node) node[name] = value;
    else node.setAttribute(name, value);
  }
  for (const child of children) {
    if (child !== null && child !== undefined && child !== false) node.append(child);
  }
  return node;
}

export function show(node, visible) {
  node.hidden = !visible;
}

export function fillSelect(select, options, chosen) {
  select.replaceChildren(...options.map(([value, label]) =>
    element("option", { value: String(value), text: label, selected: String(value) === String(chosen ?? "") })));
}

function searchable(client) {
  return `${client.name} ${client.street} ${client.city}`.toLocaleLowerCase(LANGUAGE);
}

// Today's clients, each opening to the facts needed at the door and the way in without a tag.
export function renderClients(list, clients, visitedAt, query, onNoTag) {
  const open = new Set([...list.querySelectorAll("details[open]")].map((node) => node.parentElement.id));
  const needle = query.trim().toLocaleLowerCase(LANGUAGE);
  const shown = needle ? clients.filter((client) => searchable(client).includes(needle)) : clients;
  const rows = shown.map((client) => {
    const visited = visitedAt.get(client.id);
    const badges = [
      visited ? element("span", { class: "badge ok", text: t("visited", { time: clock(visited) }) }) : null,
      client.tags.length ? null : element("span", { class: "badge warn", text: t("no_tag_at_door") }),
    ].filter(Boolean);
    const summary = element("summary", {},
      element("span", { class: "client-name", text: client.name }),
      element("span", { class: "client-street", text: client.street }),
      badges.length ? element("span", { class: "client-badges" }, ...badges) : null);
    const services = element("ul", { class: "services" },
      ...client.services.map((service) => element("li", { text: service.name })));
    const facts = element("div", { class: "client-facts" },
      element("p", { text: `${client.street}, ${client.postal_code} ${client.city}` }),
      client.key_location ? element("p", { text: client.key_location }) : null,
      services,
      element("button", { type: "button", class: "big wide-button", text: t("register_without_tag"),
        onclick: () => onNoTag(client) }));
    const id = `client-${client.id}`;
    return element("li", { id }, element("details", { open: open.has(id) }, summary, facts));
  });
  list.replaceChildren(...rows);
  // An empty day says so; an empty search says nothing matched.
  if (!rows.length) {
    list.append(element("li", { class: "muted empty", text: t(clients.length ? "no_clients" : "no_clients_today") }));
  }
  return shown.length;
}

const OUTCOME = { performed: "outcome_performed", not_home: "outcome_not_home", declined: "outcome_declined" };
const STATUS = { sent: ["status_sent", "ok"], waiting: ["status_waiting", "warn"], refused: ["status_refused", "bad"] };

export function renderDone(list, rows) {
  list.replaceChildren(...rows.map((row) => {
    const [label, tone] = STATUS[row.status] || STATUS.waiting;
    return element("li", { class: `visit-row status-${row.status}` },
      element("span", { class: "visit-time", text: clock(row.at) }),
      element("span", { class: "visit-who", text: row.name }),
      element("span", { class: "muted small", text: t(OUTCOME[row.outcome] || "outcome_performed") }),
      element("span", { class: `badge ${tone}`, text: t(label) }));
  }));
}

// The queue: refused registrations with the reason Trygg gave and what can be done, and
// those still waiting.
export function renderQueue(refusedList, waitingList, entries, onFix, onDiscard) {
  const refused = entries.filter((entry) => entry.status === "refused");
  const waiting = entries.filter((entry) => entry.status !== "refused");
  refusedList.replaceChildren(...refused.map((entry) => element("li", { class: "queue-item refused", id: `queued-${entry.id}` },
    element("p", { class: "queue-what" },
      element("strong", { text: entry.name }), " ",
      element("span", { class: "muted", text: `${clock(entry.item.arrival.at)} · ${t(OUTCOME[entry.item.outcome] || "outcome_performed")}` })),
    element("p", { class: "refusal", text: entry.reason || t("refused_reason_unknown") }),
    element("div", { class: "queue-actions" },
      element("button", { type: "button", class: "primary big", text: t("fix"), onclick: () => onFix(entry) }),
      element("button", { type: "button", class: "big", text: t("discard"), onclick: () => onDiscard(entry) })))));
  waitingList.replaceChildren(...waiting.map((entry) => element("li", { class: "queue-item", id: `queued-${entry.id}` },
    element("p", { class: "queue-what" },
      element("strong", { text: entry.name }), " ",
      element("span", { class: "muted", text: `${clock(entry.item.arrival.at)} · ${t(OUTCOME[entry.item.outcome] || "outcome_performed")}` })))));
  return { refused: refused.length, waiting: waiting.length };
}

// Task checkboxes, one row each, large enough to hit with a thumb.
export function renderTasks(container, tasks, ticked, name, onChange) {
  container.replaceChildren(...tasks.map(({ value, label }) => {
    const input = element("input", { type: "checkbox", name, value, checked: ticked.includes(value) });
    if (onChange) input.addEventListener("change", onChange);
    return element("label", { class: "task" }, input, element("span", { text: label }));
  }));
}

export function ticked(container) {
  return [...container.querySelectorAll("input[type=checkbox]:checked")].map((input) => input.value);
}
