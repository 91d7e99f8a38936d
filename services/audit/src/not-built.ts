import { AppError } from '@gatehouse/contracts';

/** Placeholder while a work package is in progress; no route may keep it. */
export async function notBuilt(): Promise<never> {
  throw new AppError('SERVICE_UNAVAILABLE', 'Not built yet');
}
