/** Whether `value` is an http(s) URL of at most 2048 characters (index, return and webhook URLs from clients). */
export function isHttpUrl(value: string): boolean {
  if (value.length > 2048) return false;
  try {
    const url = new URL(value);
    return url.protocol === 'http:' || url.protocol === 'https:';
  } catch {
    return false;
  }
}
