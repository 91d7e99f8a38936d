import { type ReactNode, useEffect, useRef } from 'react';
import { useLocation } from 'react-router';

/**
 * The path whose title last took focus. The page as loaded starts at the top (the skip link
 * first); a query-only change (a search, a sort) or a retitled screen keeps focus where it is.
 */
let focusedPath: string | undefined;

/**
 * A screen's title: the document title follows it, and it takes focus when a link opens the
 * screen, so a screen reader announces where it led (a single-page app loads no new page to announce).
 */
export function PageHeader({
  title,
  description,
  actions,
}: {
  title: string;
  description?: ReactNode;
  actions?: ReactNode;
}) {
  const heading = useRef<HTMLHeadingElement>(null);
  const { pathname } = useLocation();
  focusedPath ??= pathname;
  useEffect(() => {
    document.title = `${title} · Gatehouse`;
  }, [title]);
  useEffect(() => {
    // Only a new screen (a link or a redirect to another path) moves focus.
    if (pathname === focusedPath) return;
    focusedPath = pathname;
    heading.current?.focus({ preventScroll: true });
  }, [pathname]);
  return (
    <header className="page-header">
      <div>
        <h1 ref={heading} tabIndex={-1}>
          {title}
        </h1>
        {description ? <p className="page-description">{description}</p> : null}
      </div>
      {actions ? <div className="actions">{actions}</div> : null}
    </header>
  );
}
