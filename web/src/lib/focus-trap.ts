/**
 * A focus trap for modal surfaces: Tab and Shift+Tab cycle through the surface's controls and
 * never leave it, through open shadow roots and slotted content (vigil-dialog uses it).
 */
export const FOCUSABLE = 'a[href], button:not([disabled]), input:not([disabled]), select:not([disabled]), textarea:not([disabled]), [tabindex]:not([tabindex="-1"])';

/** Adds `root` and its focusable descendants (through open shadow roots and slots) to `out`, in document order. */
export function collectFocusable(root: Element, out: HTMLElement[]): void {
  if (root.matches(FOCUSABLE)) out.push(root as HTMLElement);
  const scope: ParentNode = root.shadowRoot ?? root;
  for (const child of Array.from(scope.children)) {
    if (child instanceof HTMLSlotElement) {
      for (const a of child.assignedElements({ flatten: true })) collectFocusable(a, out);
    } else collectFocusable(child, out);
  }
}

/** The focused element, looking inside shadow roots. */
export function deepActiveElement(): HTMLElement | null {
  let a = document.activeElement as HTMLElement | null;
  while (a?.shadowRoot?.activeElement) a = a.shadowRoot.activeElement as HTMLElement;
  return a;
}

/** On Tab, keeps focus among `items` (in order): past the last back to the first, and the other way. */
export function trapTab(e: KeyboardEvent, items: HTMLElement[]): void {
  if (e.key !== 'Tab' || items.length === 0) return;
  const i = items.indexOf(deepActiveElement() as HTMLElement);
  let next: HTMLElement | null = null;
  if (e.shiftKey && i <= 0) next = items[items.length - 1]!;
  else if (!e.shiftKey && (i === -1 || i === items.length - 1)) next = items[0]!;
  if (!next) return;
  e.preventDefault();
  next.focus();
}
