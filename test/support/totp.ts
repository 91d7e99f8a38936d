import { execFileSync } from 'node:child_process';

/**
 * RFC 6238 codes computed by `oathtool` (OATH Toolkit, Debian package `oathtool`): an implementation
 * written independently of the otplib that identity verifies with.
 */
export function totpCode(base32Secret: string, at: Date = new Date()): string {
  const now = `@${Math.floor(at.getTime() / 1000)}`;
  return execFileSync(
    'oathtool',
    ['--totp=SHA1', '--digits=6', '--time-step-size=30s', `--now=${now}`, '--base32', base32Secret],
    {
      encoding: 'utf8',
    },
  ).trim();
}

/** The code of the time step `steps` away from now (±1 is accepted, ±2 is not). */
export function totpCodeAt(base32Secret: string, steps: number): string {
  return totpCode(base32Secret, new Date(Date.now() + steps * 30_000));
}

/** Waits until a new 30-second step starts (a code of the previous step is then spent by replay rules). */
export async function nextTimeStep(): Promise<void> {
  const wait = 30_000 - (Date.now() % 30_000) + 50;
  await new Promise((resolve) => setTimeout(resolve, wait));
}
