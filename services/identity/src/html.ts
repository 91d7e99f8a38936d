/** Text and attribute values into HTML (mails, the OAuth pages): every character that could end either. */
export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}
