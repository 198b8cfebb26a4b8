// Tiny DOM helpers shared by the overlay modules.

/** The element with this id; throws if index.html lacks it, which is a
 * build mistake better found at once than as a null later. */
export function byId<T extends HTMLElement = HTMLElement>(id: string): T {
  const el = document.getElementById(id);
  if (!el) throw new Error(`index.html has no #${id}`);
  return el as T;
}

/** Sets text only when it changed: the HUD updates every tick, and
 * rewriting identical text still costs layout work. */
export function setText(el: HTMLElement, text: string): void {
  if (el.textContent !== text) el.textContent = text;
}
