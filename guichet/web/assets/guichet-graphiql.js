// Guichet's GraphiQL start-up: no inline script (the page's CSP forbids it), no CDN.
// Nothing typed here outlives the page: GraphiQL's storage (tabs, history, favourites, editors'
// contents, responses) is kept in memory, not in localStorage, because its History would write
// headers (the bearer token), variables (a password) and responses (a session token) to disk.
// Entries that earlier versions left in localStorage are removed on load.
(function () {
  "use strict";

  function memoryStorage() {
    var items = {};
    var storage = {
      getItem: function (key) {
        return Object.prototype.hasOwnProperty.call(items, key) ? items[key] : null;
      },
      setItem: function (key, value) {
        items[key] = String(value);
      },
      removeItem: function (key) {
        delete items[key];
      },
      clear: function () {
        items = {};
      },
      key: function (index) {
        var keys = Object.keys(items);
        return index < keys.length ? keys[index] : null;
      },
    };
    Object.defineProperty(storage, "length", {
      get: function () {
        return Object.keys(items).length;
      },
    });
    return storage;
  }

  function forgetSavedEntries() {
    try {
      for (var i = window.localStorage.length - 1; i >= 0; i--) {
        var key = window.localStorage.key(i);
        if (key && key.indexOf("graphiql:") === 0) {
          window.localStorage.removeItem(key);
        }
      }
    } catch (error) {
      // Storage disabled by the browser: nothing was saved either.
    }
  }

  forgetSavedEntries();
  var root = document.getElementById("graphiql");
  var endpoint = root.getAttribute("data-endpoint") || window.location.pathname;
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var defaultQuery = [
    "# Welcome to Guichet. Sign in with the `login` mutation,",
    "# then put its token in the Headers tab below:",
    '#   {"Authorization": "Bearer <token>"}',
    "# (a placeholder there would be sent and refused: the tab starts empty).",
    "# Nothing typed here is saved in the browser: a reload starts afresh.",
    "",
    "{",
    "  supportChannels {",
    "    group",
    "    kind",
    "    label",
    "    value",
    "    hours",
    "    availableNow",
    "  }",
    "}",
    "",
  ].join("\n");
  ReactDOM.createRoot(root).render(
    React.createElement(GraphiQL, {
      fetcher: fetcher,
      storage: memoryStorage(),
      defaultQuery: defaultQuery,
      defaultHeaders: "{}",
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: "headers",
    })
  );
})();
