"""The audit log of security events; each user sees their own on "Aktywność konta".

Never pass a password, a token or a link carrying one as `detail`.
"""

from flask import has_request_context

from konto.models import AuditEvent
from konto.observability import current_request_id

# Event names and how the activity page words them.
EVENTS = {
    "register": "Założenie konta",
    "activate": "Aktywacja konta",
    "login": "Logowanie",
    "login_failed": "Nieudane logowanie",
    "lockout": "Czasowa blokada logowania",
    "logout": "Wylogowanie",
    "session_ended": "Zakończenie sesji",
    "password_reset": "Ustawienie nowego hasła (link z e-maila)",
    "password_changed": "Zmiana hasła",
    "email_change_requested": "Prośba o zmianę adresu e-mail",
    "email_changed": "Zmiana adresu e-mail",
    "email_change_reverted": "Cofnięcie zmiany adresu e-mail",
    "consent_given": "Udzielenie zgody",
    "consent_withdrawn": "Wycofanie zgody",
    "terms_accepted": "Akceptacja nowej wersji dokumentu",
    "export": "Pobranie kopii danych",
    "company_added": "Dodanie firmy",
    "access_requested": "Prośba o dostęp do firmy",
    "access_granted": "Przyznanie dostępu do firmy",
    "access_declined": "Odmowa dostępu do firmy",
    "contact_changed": "Zmiana form kontaktu",
}


def record(event, user=None, detail=None):
    """Write one event, with the client's IP and user agent when there is a request."""
    assert event in EVENTS, event
    ip = agent = None
    if has_request_context():
        from konto.sessions import client_agent
        from konto.sessions import client_ip

        ip, agent = client_ip(), client_agent()
    user_id = getattr(user, "id", user)
    return AuditEvent.create(
        user=user_id,
        event=event,
        detail=(detail or None) and str(detail)[:255],
        ip=ip,
        user_agent=agent,
        request_id=current_request_id(),
    )
