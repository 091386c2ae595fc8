/** Docker's `filters` query parameter: `{"label":["k=v"]}`, or the older `{"label":{"k=v":true}}`. */
export type Filters = Record<string, string[]>;

export function parseFilters(text: string | null): Filters {
  if (!text) return {};
  const parsed = JSON.parse(text) as Record<string, string[] | Record<string, boolean>>;
  const filters: Filters = {};
  for (const [key, value] of Object.entries(parsed)) {
    filters[key] = Array.isArray(value) ? value : Object.keys(value).filter((k) => value[k]);
  }
  return filters;
}

/** `k=v` matches a label k of value v, `k` any label k: every label filter must match. */
function labelsMatch(wanted: readonly string[] | undefined, labels: Record<string, string>): boolean {
  return (wanted ?? []).every((filter) => {
    const at = filter.indexOf('=');
    return at < 0 ? filter in labels : labels[filter.slice(0, at)] === filter.slice(at + 1);
  });
}

/** A container list's filters: label, status, name (a substring, as Docker's), id (a prefix). */
export function listMatches(
  filters: Filters,
  c: { id: string; name: string; state: string; labels: Record<string, string> },
): boolean {
  if (!labelsMatch(filters.label, c.labels)) return false;
  if (filters.status && !filters.status.includes(c.state)) return false;
  if (filters.name && !filters.name.some((n) => c.name.includes(n.replace(/^\//, '')))) return false;
  if (filters.id && !filters.id.some((id) => c.id.startsWith(id))) return false;
  return true;
}

/** An event stream's filters: type, event (the action), container, label (on the actor's attributes). */
export function eventMatches(filters: Filters, event: Record<string, unknown>): boolean {
  const actor = (event.Actor ?? {}) as { ID?: string; Attributes?: Record<string, string> };
  const attributes = actor.Attributes ?? {};
  if (filters.type && !filters.type.includes(String(event.Type))) return false;
  if (filters.event && !filters.event.includes(String(event.Action))) return false;
  if (filters.container && !filters.container.some((c) => c === actor.ID || c === attributes.name)) return false;
  return labelsMatch(filters.label, attributes);
}
