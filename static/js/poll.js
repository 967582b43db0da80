// One way for a page to follow work that goes on on the server: ask, wait, ask again.
(function () {
  "use strict";
  const Groundwork = (window.Groundwork = window.Groundwork || {});

  // `check` does one round and resolves to true to go on; a round that throws (a network
  // hiccup) is tried again after `retry` ms. The returned function stops the polling.
  Groundwork.poll = function poll(check, { every = 700, first = 300, retry = every } = {}) {
    let timer = null;
    let stopped = false;
    async function round() {
      let again = true;
      let wait = every;
      try {
        again = await check();
      } catch (error) {
        wait = retry;
      }
      if (again && !stopped) timer = window.setTimeout(round, wait);
    }
    timer = window.setTimeout(round, first);
    return () => {
      stopped = true;
      window.clearTimeout(timer);
    };
  };

  // A batch as the API shows it, or null when the server says no.
  Groundwork.fetchBatch = async function fetchBatch(id) {
    const url = "/api/batches/" + encodeURIComponent(id) + "/";
    const response = await fetch(url, { headers: { Accept: "application/json" } });
    return response.ok ? response.json() : null;
  };

  // The stage of a running batch, said once: nothing when it only repeats the status.
  Groundwork.stageText = (batch) => (batch.stage && batch.stage !== batch.status ? batch.stage : "");
})();
