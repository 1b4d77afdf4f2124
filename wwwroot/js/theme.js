// Remembers the light/dark choice in a cookie the server reads while prerendering (no theme flash on load).
const oneYearSeconds = 365 * 24 * 60 * 60;

export function remember(mode) {
    document.cookie = `apimconsole-theme=${encodeURIComponent(mode)}; path=/; max-age=${oneYearSeconds}; samesite=lax`;
}
