// Guichet's GraphiQL start-up: no inline script (the page's CSP forbids it), no CDN.
// Headers (the bearer token) are kept in memory only: shouldPersistHeaders is off, so a token
// pasted here never lands in localStorage.
(function () {
  "use strict";
  var root = document.getElementById("graphiql");
  var endpoint = root.getAttribute("data-endpoint") || window.location.pathname;
  var fetcher = GraphiQL.createFetcher({ url: endpoint });
  var defaultQuery = [
    "# Welcome to Guichet. Sign in with the `login` mutation,",
    "# then paste its token into the Headers tab below.",
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
      defaultQuery: defaultQuery,
      defaultHeaders: '{\n  "Authorization": "Bearer <token>"\n}',
      isHeadersEditorEnabled: true,
      shouldPersistHeaders: false,
      defaultEditorToolsVisibility: "headers",
    })
  );
})();
