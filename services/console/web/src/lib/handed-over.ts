import { useEffect, useState } from 'react';
import { useLocation, useNavigate } from 'react-router';

/**
 * What the previous screen handed over in the history state (`navigate(path, { state })`), e.g.
 * "Deleted project Apollo". Said once: the state is cleared at once, so a reload or Back does not
 * announce it again, and the value is kept for this screen's life.
 */
export function useHandedOver<T>(name: string): T | undefined {
  const location = useLocation();
  const navigate = useNavigate();
  const handedOver = (location.state as Record<string, unknown> | null)?.[name] as T | undefined;
  const [kept] = useState(handedOver);
  useEffect(() => {
    if (handedOver !== undefined)
      navigate({ pathname: location.pathname, search: location.search }, { replace: true, state: null });
  }, [handedOver, location.pathname, location.search, navigate]);
  return kept;
}
