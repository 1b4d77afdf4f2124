// The Logs page's line list: tells the page when the user scrolls away from the bottom (stop following new lines)
// or back to it (follow again), and scrolls to the bottom when asked.
// Only a move up counts as "scrolled away": lines rendered after a programmatic scroll grow the list under the
// reader, and that must not read as the user leaving the bottom.
export function follow(element, page) {
    let atBottom = true;
    let lastTop = element.scrollTop;
    const onScroll = () => {
        const top = element.scrollTop;
        const nearBottom = element.scrollHeight - top - element.clientHeight < 24;
        const now = nearBottom || (atBottom && top >= lastTop);
        lastTop = top;
        if (now !== atBottom) {
            atBottom = now;
            page.invokeMethodAsync('OnScrolledToBottom', now);
        }
    };
    element.addEventListener('scroll', onScroll, { passive: true });
    return {
        scrollToBottom() {
            element.scrollTop = element.scrollHeight;
            lastTop = element.scrollTop;
            atBottom = true;
        },
        dispose() {
            element.removeEventListener('scroll', onScroll);
        },
    };
}
