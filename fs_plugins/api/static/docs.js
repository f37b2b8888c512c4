// Swagger UI on the API's own document; everything is served from this package (no CDN).
// Requests made from the page send the session cookie; writes need the X-CSRF-Token from sign-in.
window.ui = SwaggerUIBundle({
  url: "../openapi.json",
  dom_id: "#swagger-ui",
  deepLinking: true,
  presets: [SwaggerUIBundle.presets.apis],
  layout: "BaseLayout",
});
