"""Flows: what a user action does, as plain functions that take the acting user explicitly.

A view parses the request, calls one flow and renders what it returns; a flow never reads the
request's data or `current_user` itself. It may store e-mails with `konto.mail.send_email` and
audit events with `konto.audit.record` (which note the request's IP and user agent), and the
log-in flows start and end this browser's session through `konto.sessions`. Expected outcomes
(already done, not found, a parallel submit won) are results, not exceptions. One module per
area of the product, one obvious place per action:

* `notices`: e-mails telling an account's owner what was done to it, with a way out;
* `signup`: registration, the activation link, activation;
* `login`: logging in and out, the notice of a locked log-in;
* `password`: confirming it again, changing it, a reset by e-mail link;
* `email_change`: a new address confirmed from it, or put back from the old one;
* `account`: consents and new documents, sessions, the copy of the data, deletion;
* `companies`: the "Dodaj firmę" wizard's drafts, adding a company, contact forms, refreshing
  from the registry, the active company;
* `access`: asking to join a company already in the portal, and the administrators' decision;
* `licences`: issuing and managing licences (back office), trials, program installations and
  their queue; `services`: turning a company's services on and off; `claims`: recovering
  administrator rights; `staff`: the back office's role.

A request the rules refuse (a suspended licence, no free station, a trial already used, a
forged id) raises `Refused` with a machine-readable code: the views show its message, the
program API (issue 13) returns the code.
"""


class Refused(Exception):
    """The action cannot be done; `code` for programs, `message` for people."""

    def __init__(self, code, message, status=422):
        super().__init__(message)
        self.code = code
        self.message = str(message)
        self.status = status
