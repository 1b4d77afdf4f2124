// Starts Blazor with a reconnection policy for a console that stays open for days on a wall screen:
// it never asks a human to press "Retry" or "Reload".
(() => {
    const modal = document.getElementById("components-reconnect-modal");
    let pollTimer = null;

    // Wall mode (/wall): a TV with no one in front of it. It retries forever with backoff instead of giving up, and
    // before any reload it waits until the console answers, so a reload never lands on a dead server's error page
    // (which has no script left to recover from). Read at each decision, not once: the wall can be reached by
    // in-app navigation too.
    const isWall = () => location.pathname.replace(/\/+$/, "").toLowerCase().endsWith("/wall");

    // Other pages: quick first attempts for a network blip, then every 5 s for about two minutes.
    const pageRetries = 30;
    // The wall: 0.5, 1, 2, 4, 8 s, then every 10 s, with jitter so a room of screens does not knock in step.
    const wallDelay = attempts => Math.min(500 * 2 ** Math.min(attempts, 5), 10000) + Math.floor(Math.random() * 500);

    const reconnectionOptions = {
        // Bounded per page by retryIntervalMilliseconds (null stops); the wall never returns null.
        maxRetries: Number.MAX_SAFE_INTEGER,
        retryIntervalMilliseconds: previousAttempts => {
            if (isWall()) return wallDelay(previousAttempts);
            return previousAttempts >= pageRetries ? null : Math.min(500 * (previousAttempts + 1), 5000);
        },
    };

    function reload() {
        location.reload();
    }

    // The server is (or was) down. Ask it for something cheap until it answers, then reload the page, which starts
    // a new circuit. A static file: it answers as soon as the console serves requests, needs no sign-in, and
    // renders nothing.
    function reloadWhenServerAnswers() {
        if (pollTimer !== null) return;
        const probe = new URL("favicon.svg", document.baseURI).toString();
        const tick = async () => {
            try {
                const response = await fetch(probe, { method: "HEAD", cache: "no-store" });
                if (response.ok) {
                    reload();
                    return;
                }
            } catch {
                // Still down; try again at the next tick.
            }
            pollTimer = setTimeout(tick, 2000 + Math.floor(Math.random() * 1000));
        };
        pollTimer = setTimeout(tick, isWall() ? 500 : 3000);
    }

    modal?.addEventListener("components-reconnect-state-changed", event => {
        switch (event.detail.state) {
            case "rejected":      // The server answered but no longer knows this circuit: it was restarted.
            case "resume-failed": // Same after a paused circuit could not be resumed.
                if (isWall()) reloadWhenServerAnswers();
                else reload();
                break;
            case "failed":
                reloadWhenServerAnswers();
                break;
        }
    });

    const started = Blazor.start({ circuit: { reconnectionOptions } });
    // The wall's first connection can fail too (the console went down between serving the page and the circuit
    // starting): recover the same way instead of sitting on a page that will never update.
    if (started && typeof started.catch === "function") {
        started.catch(() => { if (isWall()) reloadWhenServerAnswers(); });
    }
})();
