"""The web portal at `/` of the web server: a personal space for every user, an administration space
for each customer's admins, and the operator's space.

Server-rendered (Flask + Jinja2), with htmx for partial updates and Pico for the look, both vendored
in static/vendor (no CDN, no build step). The portal holds no rule of its own: every page calls the
same application functions as the REST API and the CLI, and shows their errors next to the field
they name. People sign in with the access module's logins and sessions: the portal's cookie is the
API's cookie (one sign-in serves both), and every form post carries the session's CSRF token.
"""
