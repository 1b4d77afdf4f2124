// Starts Blazor with a reconnection policy for a console that stays open for days on a wall screen:
// it never asks a human to press "Retry" or "Reload".
(() => {
    const modal = document.getElementById("components-reconnect-modal");
    let pollTimer = null;

    // Quick first attempts for a network blip, then every 5 s for about two minutes.
    const reconnectionOptions = {
        maxRetries: 30,
        retryIntervalMilliseconds: (previousAttempts, maxRetries) =>
            previousAttempts >= maxRetries ? null : Math.min(500 * (previousAttempts + 1), 5000),
    };

    function reload() {
        location.reload();
    }

    // Blazor gave up retrying: the server has been down a long time. Ask for the page until it answers, then
    // reload it, which starts a new circuit.
    function reloadWhenServerAnswers() {
        if (pollTimer !== null) return;
        pollTimer = setInterval(async () => {
            try {
                const response = await fetch(location.href, { method: "HEAD", cache: "no-store" });
                if (response.ok) reload();
            } catch {
                // Still down; try again at the next tick.
            }
        }, 3000);
    }

    modal?.addEventListener("components-reconnect-state-changed", event => {
        switch (event.detail.state) {
            case "rejected":      // The server answered but no longer knows this circuit: it was restarted.
            case "resume-failed": // Same after a paused circuit could not be resumed.
                reload();
                break;
            case "failed":
                reloadWhenServerAnswers();
                break;
        }
    });

    Blazor.start({ circuit: { reconnectionOptions } });
})();
