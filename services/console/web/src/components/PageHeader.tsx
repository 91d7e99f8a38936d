import { type ReactNode, useEffect, useRef } from 'react';
import { useLocation } from 'react-router';

/** The history entry the page was loaded at: it starts at the top (the skip link first). */
let loadedAt: string | undefined;

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
  const { key } = useLocation();
  loadedAt ??= key;
  useEffect(() => {
    document.title = `${title} · Gatehouse`;
    // Only a screen a link (or a redirect) opened moves focus; the page as loaded does not.
    if (key !== loadedAt) heading.current?.focus({ preventScroll: true });
  }, [title, key]);
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
