// The Logs page's line list: tells the page when the user scrolls away from the bottom (stop following new lines)
// or back to it (follow again), and scrolls to the bottom when asked.
export function follow(element, page) {
    let atBottom = true;
    const onScroll = () => {
        const now = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
        if (now !== atBottom) {
            atBottom = now;
            page.invokeMethodAsync('OnScrolledToBottom', now);
        }
    };
    element.addEventListener('scroll', onScroll, { passive: true });
    return {
        scrollToBottom() {
            element.scrollTop = element.scrollHeight;
            atBottom = true;
        },
        dispose() {
            element.removeEventListener('scroll', onScroll);
        },
    };
}
