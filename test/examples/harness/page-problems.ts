// What a person would see in the browser's console: errors logged by the page and failed requests
// (a missing favicon.ico is a 404 there). Attach before page.goto, assert empty at the end.
import type { Page } from 'playwright-core';

export function collectPageProblems(page: Page): string[] {
  const problems: string[] = [];
  page.on('console', (message) => {
    if (message.type() === 'error') problems.push(`console error: ${message.text()}`);
  });
  page.on('pageerror', (error) => problems.push(`uncaught: ${error.message}`));
  page.on('response', (response) => {
    if (response.status() >= 400) problems.push(`${response.status()} for ${response.url()}`);
  });
  page.on('requestfailed', (request) => {
    // A WebSocket the server closes at shutdown is not a failed page request.
    if (request.resourceType() !== 'websocket') problems.push(`request failed: ${request.url()}`);
  });
  return problems;
}
