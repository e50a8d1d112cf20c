/* The activation, invitation and password-reset pages: send the form to the GraphQL mutation.
 *
 * Served as a file (the pages' CSP allows no inline script). The token is read from the link's
 * query string, then removed from the address bar and the history so that it is not left behind.
 * Only the three mutations below can be sent; nothing is stored in the browser.
 */
(function () {
  "use strict";

  var MUTATIONS = {
    "activate": {
      field: "activateAccount",
      document: "mutation GuichetActivate($input: TokenPasswordInput!) { activateAccount(input: $input) { session { expiresAt } errors { code message field } } }"
    },
    "accept-invitation": {
      field: "acceptInvitation",
      document: "mutation GuichetAcceptInvitation($input: TokenPasswordInput!) { acceptInvitation(input: $input) { session { expiresAt } errors { code message field } } }"
    },
    "reset-password": {
      field: "resetPassword",
      document: "mutation GuichetResetPassword($input: TokenPasswordInput!) { resetPassword(input: $input) { ok errors { code message field } } }"
    }
  };

  var form = document.getElementById("guichet-link-form");
  if (!form) { return; }
  var status = document.getElementById("guichet-link-status");
  var button = form.querySelector("button[type=submit]");
  var mutation = MUTATIONS[form.getAttribute("data-purpose")];
  var token = new URLSearchParams(window.location.search).get("token");
  if (window.history && window.history.replaceState) {
    window.history.replaceState(null, "", window.location.pathname);
  }

  function say(text, kind) {
    status.textContent = text;
    status.className = "status " + kind;
    if (kind === "error") { status.focus(); }
  }

  if (!mutation) { return; }
  if (!token) {
    say(form.getAttribute("data-missing-token"), "error");
    button.disabled = true;
    return;
  }

  form.addEventListener("submit", function (event) {
    event.preventDefault();
    var password = form.elements.namedItem("password").value;
    var confirmation = form.elements.namedItem("confirmation").value;
    if (password !== confirmation) {
      say(form.getAttribute("data-mismatch"), "error");
      return;
    }
    var input = { token: token, password: password };
    ["firstName", "lastName"].forEach(function (name) {
      var field = form.elements.namedItem(name);
      if (field && field.value.trim()) { input[name] = field.value.trim(); }
    });
    button.disabled = true;
    say(form.getAttribute("data-sending"), "info");
    fetch(form.getAttribute("data-endpoint"), {
      method: "POST",
      credentials: "omit",
      headers: {
        "Content-Type": "application/json",
        "Accept": "application/json",
        "Accept-Language": document.documentElement.lang
      },
      body: JSON.stringify({ query: mutation.document, variables: { input: input } })
    }).then(function (response) {
      return response.json();
    }).then(function (result) {
      var payload = result && result.data ? result.data[mutation.field] : null;
      if (!payload) {
        var top = result && result.errors && result.errors[0] ? result.errors[0].message : null;
        throw new Error(top || form.getAttribute("data-failed"));
      }
      if (payload.errors && payload.errors.length) {
        say(payload.errors.map(function (e) { return e.message; }).join(" "), "error");
        button.disabled = false;
        return;
      }
      form.hidden = true;
      say(form.getAttribute("data-done"), "success");
    }).catch(function (error) {
      say(error && error.message ? error.message : form.getAttribute("data-failed"), "error");
      button.disabled = false;
    });
  });
})();
