"""The audit log of security events; each user sees their own on "Aktywność konta".

Never pass a password, a token or a link carrying one as `detail`.
"""

from flask import has_request_context

from konto.client import client_agent
from konto.client import client_ip
from konto.i18n_cache import lazy_gettext as _l
from konto.models import AuditEvent
from konto.observability import current_request_id

# Event names and how the activity page words them (translated when shown).
EVENTS = {
    "register": _l("Założenie konta"),
    "activate": _l("Aktywacja konta"),
    "login": _l("Logowanie"),
    "login_failed": _l("Nieudane logowanie"),
    "lockout": _l("Czasowa blokada logowania"),
    "logout": _l("Wylogowanie"),
    "session_ended": _l("Zakończenie sesji"),
    "password_reset": _l("Ustawienie nowego hasła (link z e-maila)"),
    "password_changed": _l("Zmiana hasła"),
    "name_changed": _l("Zmiana imienia i nazwiska"),
    "email_change_requested": _l("Prośba o zmianę adresu e-mail"),
    "email_changed": _l("Zmiana adresu e-mail"),
    "email_change_reverted": _l("Cofnięcie zmiany adresu e-mail"),
    "consent_given": _l("Udzielenie zgody"),
    "consent_withdrawn": _l("Wycofanie zgody"),
    "terms_accepted": _l("Akceptacja nowej wersji dokumentu"),
    "export": _l("Pobranie kopii danych"),
    "company_added": _l("Dodanie firmy"),
    "access_requested": _l("Prośba o dostęp do firmy"),
    "access_granted": _l("Przyznanie dostępu do firmy"),
    "access_declined": _l("Odmowa dostępu do firmy"),
    "contact_changed": _l("Zmiana form kontaktu"),
    # Licences, services, claims; the back office (Obsługa): each staff action, who and when.
    "staff_granted": _l("Nadanie roli Obsługi"),
    "staff_revoked": _l("Odebranie roli Obsługi"),
    "staff_confirmed": _l("Obsługa: potwierdzenie hasła i kodu"),
    "licence_issued": _l("Obsługa: wystawienie licencji"),
    "licence_suspended": _l("Obsługa: zawieszenie licencji"),
    "licence_resumed": _l("Obsługa: wznowienie licencji"),
    "licence_revoked": _l("Obsługa: unieważnienie licencji"),
    "licence_activated": _l("Obsługa: aktywacja licencji"),
    "abonament_renewed": _l("Obsługa: przedłużenie Abonamentu"),
    "extension_added": _l("Obsługa: dodanie rozszerzenia"),
    "extension_ended": _l("Obsługa: zakończenie rozszerzenia"),
    "installation_accepted": _l("Obsługa: przyjęcie rejestracji licencji"),
    "installation_rejected": _l("Obsługa: odrzucenie rejestracji licencji"),
    "installation_requested": _l("Rejestracja licencji z programu"),
    "installation_released": _l("Zwolnienie stanowiska licencji"),
    "trial_started": _l("Rozpoczęcie okresu próbnego rozszerzenia"),
    "service_enabled": _l("Włączenie usługi (akceptacja regulaminu)"),
    "service_disabled": _l("Wyłączenie usługi"),
    "claim_filed": _l("Wniosek o uprawnienia administratora"),
    "claim_objected": _l("Sprzeciw wobec wniosku o uprawnienia administratora"),
    "claim_approved": _l("Obsługa: przyjęcie wniosku o uprawnienia administratora"),
    "claim_rejected": _l("Obsługa: odrzucenie wniosku o uprawnienia administratora"),
    "claim_statement_viewed": _l("Obsługa: otwarcie oświadczenia z wniosku"),
    "two_step_enabled": _l("Włączenie weryfikacji dwuetapowej"),
    "two_step_app_changed": _l("Zmiana aplikacji uwierzytelniającej"),
    "two_step_disabled": _l("Wyłączenie weryfikacji dwuetapowej"),
    "second_step_failed": _l("Nieudana weryfikacja dwuetapowa"),
    "second_step_replayed": _l("Odrzucony ponownie użyty kod z aplikacji"),
    "recovery_codes_generated": _l("Nowe kody zapasowe"),
    "recovery_code_used": _l("Użycie kodu zapasowego"),
    "passkey_added": _l("Dodanie klucza dostępu"),
    "passkey_removed": _l("Usunięcie klucza dostępu"),
    "company_two_step_required": _l("Firma wymaga weryfikacji dwuetapowej"),
    "company_two_step_not_required": _l("Firma nie wymaga już weryfikacji dwuetapowej"),
    "second_step_lockout": _l("Czasowa blokada weryfikacji dwuetapowej"),
    "access_received": _l("Przyjęcie Twojej prośby o dostęp do firmy"),
    "member_invited": _l("Zaproszenie użytkownika do firmy"),
    "invitation_resent": _l("Ponowne wysłanie zaproszenia do firmy"),
    "invitation_revoked": _l("Wycofanie zaproszenia do firmy"),
    "invitation_accepted": _l("Przyjęcie zaproszenia do firmy"),
    "invitation_declined": _l("Odrzucenie zaproszenia do firmy"),
    "member_role_changed": _l("Zmiana roli użytkownika firmy"),
    "role_changed_by_admin": _l("Zmiana Twojej roli w firmie"),
    "member_removed": _l("Usunięcie użytkownika z firmy"),
    "removed_from_company": _l("Usunięcie Cię z firmy"),
    "company_left": _l("Opuszczenie firmy"),
    "admin_handed_over": _l("Przekazanie administracji firmy"),
    "admin_received": _l("Przejęcie administracji firmy"),
    # Desktop programs (the device flow, Połączone programy).
    "program_approved": _l("Zgoda na połączenie programu (kod z programu)"),
    "program_denied": _l("Odrzucenie prośby programu o połączenie"),
    "program_connected": _l("Połączenie programu z kontem"),
    "program_disconnected": _l("Rozłączenie programu"),
    "programs_disconnected": _l("Rozłączenie wszystkich programów (nowe hasło)"),
    "program_token_reused": _l("Program rozłączony: ponowne użycie starego tokenu (możliwa kradzież)"),
}


def record(event, user=None, detail=None):
    """Write one event, with the client's IP and user agent when there is a request."""
    assert event in EVENTS, event
    ip = agent = None
    if has_request_context():
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
