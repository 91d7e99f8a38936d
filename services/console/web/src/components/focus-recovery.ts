import { useEffect } from 'react';

/**
 * When the focused control disappears (the row just deleted, a form re-created after a save),
 * the browser drops focus to <body> and a keyboard user is back at the top of the page. Focus goes
 * instead to the heading of the section that held it, or the screen's title.
 */
export function useFocusRecovery(): void {
  useEffect(() => {
    let focused: { element: HTMLElement; heading: HTMLElement | null } | undefined;
    const onFocusIn = (event: FocusEvent) => {
      const element = event.target as HTMLElement;
      const section = element.closest('section');
      focused = { element, heading: section?.querySelector<HTMLElement>('h2') ?? null };
    };
    const observer = new MutationObserver(() => {
      if (!focused || focused.element.isConnected || document.activeElement !== document.body) return;
      const target = focused.heading?.isConnected ? focused.heading : document.querySelector<HTMLElement>('main h1');
      focused = undefined;
      if (!target) return;
      if (!target.hasAttribute('tabindex')) target.setAttribute('tabindex', '-1');
      target.focus({ preventScroll: true });
    });
    document.addEventListener('focusin', onFocusIn);
    observer.observe(document.body, { childList: true, subtree: true });
    return () => {
      document.removeEventListener('focusin', onFocusIn);
      observer.disconnect();
    };
  }, []);
}
