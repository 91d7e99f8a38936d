import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import AxeBuilder from '@axe-core/playwright';
import type { Browser, BrowserContext, Page } from 'playwright-core';
import { expect } from 'vitest';
import type { Stack } from './stack.js';

/**
 * The console in headless Chromium (launched by ./browser.ts: the system's /usr/bin/chromium, else
 * the bundled one, driven by playwright-core), against the real stack through the gateway's one URL.
 */
export { launchBrowser } from './browser.js';

export const SCREENSHOT_DIR = join(process.cwd(), '.data/screenshots');

export interface ConsoleSession {
  context: BrowserContext;
  page: Page;
  /** Problems the page reported: uncaught errors and CSP refusals fail the suite in `close`. */
  problems: string[];
  close(): Promise<void>;
}

/**
 * A fresh browser profile (its own cookies) on the console. Every uncaught page error, failed
 * console message and CSP violation is collected: a console that breaks its own CSP is broken.
 */
export async function openConsole(
  browser: Browser,
  stack: Stack,
  options: { colorScheme?: 'light' | 'dark'; width?: number; height?: number } = {},
): Promise<ConsoleSession> {
  const context = await browser.newContext({
    baseURL: stack.urls.gateway,
    colorScheme: options.colorScheme ?? 'light',
    viewport: { width: options.width ?? 1280, height: options.height ?? 900 },
    permissions: ['clipboard-read', 'clipboard-write'],
  });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (error) => problems.push(`page error: ${error.message}`));
  page.on('console', (message) => {
    const text = message.text();
    // A 4xx the console handles (a wrong password, a 412) is logged by Chromium as a failed load.
    if (message.type() === 'error' && !/status of 4\d\d/.test(text)) problems.push(`console error: ${text}`);
  });
  return {
    context,
    page,
    problems,
    async close() {
      await context.close();
      expect(problems, 'the console reported errors').toEqual([]);
    },
  };
}

/** axe-core on the page as it is now: no serious or critical violation (WCAG 2.x A and AA). */
export async function expectAccessible(page: Page, what: string): Promise<void> {
  const results = await new AxeBuilder({ page }).withTags(['wcag2a', 'wcag2aa', 'wcag21a', 'wcag21aa']).analyze();
  const serious = results.violations
    .filter((violation) => violation.impact === 'serious' || violation.impact === 'critical')
    .map(
      (violation) =>
        `${violation.id}: ${violation.help} (${violation.nodes.map((node) => node.target.join(' ')).join(', ')})`,
    );
  expect(serious, `accessibility of ${what}`).toEqual([]);
}

/** A full-page screenshot in .data/screenshots/, for a person to look at. */
export async function screenshot(page: Page, name: string): Promise<string> {
  await mkdir(SCREENSHOT_DIR, { recursive: true });
  const path = join(SCREENSHOT_DIR, `${name}.png`);
  await page.screenshot({ path, fullPage: true });
  return path;
}

/** Signs in through the console's own form (identify, then password) and waits for the landing screen. */
export async function signInByForm(page: Page, email: string, password: string): Promise<void> {
  await page.goto('/sign-in');
  await page.getByLabel('Email').fill(email);
  await page.getByRole('button', { name: 'Continue' }).click();
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByTestId('signed-in-as').waitFor();
}
