/* Card payment page: mounts Stripe's Payment Element and confirms the PaymentIntent.
   The publishable key, client secret and return URL come from data- attributes (the CSP allows
   no inline script). Stripe sends the buyer back to the order page, which shows "payment
   processing" until Stripe's webhook marks the order paid. */
(function () {
  "use strict";
  var form = document.getElementById("card-payment");
  if (!form) return;
  if (typeof window.Stripe !== "function") {
    // js.stripe.com blocked or unreachable: say so instead of an empty form.
    var failed = document.getElementById("card-load-error");
    if (failed) failed.hidden = false;
    return;
  }
  var stripe = window.Stripe(form.getAttribute("data-stripe-key"), {locale: form.getAttribute("data-locale") || "auto"});
  var elements = stripe.elements({clientSecret: form.getAttribute("data-client-secret")});
  elements.create("payment").mount("#payment-element");
  form.hidden = false;

  var button = document.getElementById("card-submit");
  var message = document.getElementById("card-message");
  form.addEventListener("submit", function (e) {
    e.preventDefault();
    button.disabled = true;
    message.hidden = true;
    stripe.confirmPayment({elements: elements, confirmParams: {return_url: form.getAttribute("data-return-url")}})
      .then(function (result) {
        // Only reached when the payment could not be confirmed (otherwise Stripe redirects).
        if (result.error) {
          message.textContent = result.error.message || "";
          message.hidden = false;
        }
        button.disabled = false;
      });
  });
})();
