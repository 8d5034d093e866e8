/* Passkeys (WebAuthn): a progressive enhancement. Forms with data-passkey are hidden in the
   HTML; where the browser can use passkeys this shows them, and on submit asks the server for
   a challenge, lets the authenticator answer it, puts the answer in the form and sends it.
   Without JavaScript (or passkey support) nothing here runs and the code forms remain. */
(function () {
  "use strict";

  function toBytes(base64url) {
    var base64 = base64url.replace(/-/g, "+").replace(/_/g, "/");
    while (base64.length % 4) { base64 += "="; }
    var binary = atob(base64);
    var bytes = new Uint8Array(binary.length);
    for (var i = 0; i < binary.length; i++) { bytes[i] = binary.charCodeAt(i); }
    return bytes.buffer;
  }

  function toBase64url(buffer) {
    var bytes = new Uint8Array(buffer);
    var binary = "";
    for (var i = 0; i < bytes.length; i++) { binary += String.fromCharCode(bytes[i]); }
    return btoa(binary).replace(/\+/g, "-").replace(/\//g, "_").replace(/=+$/, "");
  }

  function creationOptions(options) {
    options.challenge = toBytes(options.challenge);
    options.user.id = toBytes(options.user.id);
    (options.excludeCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return { publicKey: options };
  }

  function requestOptions(options) {
    options.challenge = toBytes(options.challenge);
    (options.allowCredentials || []).forEach(function (c) { c.id = toBytes(c.id); });
    return { publicKey: options };
  }

  /* The envelope the server reads (py_webauthn's JSON form), with the response's own fields. */
  function credentialJSON(credential, response) {
    response.clientDataJSON = toBase64url(credential.response.clientDataJSON);
    return {
      id: credential.id,
      rawId: toBase64url(credential.rawId),
      type: credential.type,
      authenticatorAttachment: credential.authenticatorAttachment || undefined,
      clientExtensionResults: credential.getClientExtensionResults(),
      response: response
    };
  }

  function registrationJSON(credential) {
    var response = credential.response;
    return credentialJSON(credential, {
      attestationObject: toBase64url(response.attestationObject),
      transports: response.getTransports ? response.getTransports() : []
    });
  }

  function assertionJSON(credential) {
    var response = credential.response;
    return credentialJSON(credential, {
      authenticatorData: toBase64url(response.authenticatorData),
      signature: toBase64url(response.signature),
      userHandle: response.userHandle ? toBase64url(response.userHandle) : null
    });
  }

  function showError(form, message) {
    var box = form.querySelector(".passkey-error");
    box.textContent = message;
    box.hidden = false;
  }

  function run(form) {
    var purpose = form.getAttribute("data-passkey");
    var token = form.querySelector("[name=csrf_token]").value;
    var button = form.querySelector("button[type=submit]");
    var body = new URLSearchParams();
    body.append("cel", purpose);
    body.append("csrf_token", token);
    button.disabled = true;
    fetch(form.getAttribute("data-options-url"), {
      method: "POST",
      headers: { "X-CSRFToken": token, "Content-Type": "application/x-www-form-urlencoded" },
      body: body.toString(),
      credentials: "same-origin"
    }).then(function (response) {
      return response.json().then(function (data) {
        if (!response.ok) { throw new Error(data.error || ""); }
        return data;
      });
    }).then(function (data) {
      form.querySelector("[name=challenge]").value = data.challenge;
      if (purpose === "register") {
        return navigator.credentials.create(creationOptions(data.options)).then(registrationJSON);
      }
      return navigator.credentials.get(requestOptions(data.options)).then(assertionJSON);
    }).then(function (answer) {
      form.querySelector("[name=credential]").value = JSON.stringify(answer);
      form.submit();  // a whole-page POST: the server answers with the next page
    }).catch(function (error) {
      button.disabled = false;
      var message = error && error.message && error.name === "Error" ? error.message : form.getAttribute("data-error");
      showError(form, message);
    });
  }

  function init() {
    if (!window.PublicKeyCredential || !navigator.credentials) { return; }
    document.querySelectorAll("form[data-passkey]").forEach(function (form) {
      if (form.getAttribute("data-ready")) { return; }
      form.setAttribute("data-ready", "1");
      form.hidden = false;
      form.addEventListener("submit", function (event) {
        event.preventDefault();
        run(form);
      });
    });
    document.querySelectorAll(".passkey-nojs").forEach(function (note) { note.hidden = true; });
  }

  document.addEventListener("DOMContentLoaded", init);
  document.addEventListener("htmx:afterSettle", init);  // a page swapped in by htmx
})();
