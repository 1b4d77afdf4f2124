// Which input the operator used last, as data-input="pointer" or "keyboard" on <html>: the focus ring the router's
// focus on the page heading draws is for keyboard users only (console.css).
(() => {
    const root = document.documentElement;
    addEventListener('pointerdown', () => { root.dataset.input = 'pointer'; }, true);
    addEventListener('keydown', e => {
        if (!e.ctrlKey && !e.metaKey && !e.altKey) root.dataset.input = 'keyboard';
    }, true);
})();
