"""Errors of the program API and the OAuth endpoints as RFC 9457 problem details.

One shape for every error a program can get from /api/ (and for the HTTP errors of /oauth/,
whose protocol errors keep RFC 6749's own shape): `application/problem+json` with `type` (a
link to the problem's description on /api/v1/problems), `title` (the same for every occurrence),
`status`, `detail` (this occurrence, in Polish, fit to show to the person at the program) and
`code`, the machine-readable name a program branches on (the same codes the flows use, e.g.
TOO_MANY_INSTALLATIONS). Nothing internal is ever in it: no exception text, no SQL, no stack.
"""

import json

from flask import current_app
from flask import request

from konto.i18n_cache import lazy_gettext as _l
from konto.links import external_url

MEDIA_TYPE = "application/problem+json"
PREFIXES = ("/api/", "/oauth/", "/.well-known/oauth-authorization-server")

# code: (title, when it happens) — the API's documentation lists them (/api/v1/problems).
PROBLEMS = {
    "UNAUTHENTICATED": (_l("Brak ważnego tokenu"), _l("Nie ma nagłówka Authorization: Bearer, token jest nieznany, wygasł albo połączenie programu zostało zakończone (Rozłącz, nowe hasło, usunięcie konta). Odśwież token albo połącz program ponownie.")),  # noqa: E501
    "INSUFFICIENT_SCOPE": (_l("Zakres tokenu nie pozwala na to"), _l("Program nie dostał zgody na tę czynność (brak zakresu).")),  # noqa: E501
    "TWO_STEP_REQUIRED": (_l("Wymagana weryfikacja dwuetapowa"), _l("Firma, w której jesteś, wymaga weryfikacji dwuetapowej, a Ty jej nie masz. Włącz ją w Koncie (Moje konto → Weryfikacja dwuetapowa): program zacznie wtedy znów działać.")),  # noqa: E501
    "FORBIDDEN": (_l("Brak uprawnień w firmie"), _l("To może zrobić tylko administrator firmy.")),
    "COMPANY_NOT_FOUND": (_l("Nie ma takiej firmy"), _l("Firmy nie ma na koncie albo program nie dostał do niej dostępu (albo użytkownik już w niej nie jest).")),  # noqa: E501
    "REGISTRATION_NOT_FOUND": (_l("Nie ma takiej rejestracji"), _l("Nie ma takiej rejestracji licencji w tej firmie.")),
    "LICENCE_NOT_FOUND": (_l("Nie ma takiej licencji"), _l("Firma nie ma licencji o tym numerze.")),
    "INVALID_REQUEST": (_l("Nieprawidłowe zapytanie"), _l("Treść zapytania nie jest obiektem JSON z wymaganymi polami.")),  # noqa: E501
    "INVALID_NUMBER": (_l("Nieprawidłowy numer licencji"), _l("Numer licencji ma zły format albo znak kontrolny.")),
    "INVALID_INSTALLATION_ID": (_l("Nieprawidłowy identyfikator instalacji"), _l("Identyfikator instalacji: 1–64 znaki (litery, cyfry, . _ : - { }).")),  # noqa: E501
    "MACHINE_NAME_REQUIRED": (_l("Brak nazwy komputera"), _l("Podaj nazwę komputera.")),
    "MACHINE_NAME_TOO_LONG": (_l("Za długa nazwa komputera"), _l("Nazwa komputera może mieć najwyżej 100 znaków.")),
    "LICENCE_SUSPENDED": (_l("Licencja zawieszona"), _l("Licencja jest zawieszona: nie można jej rejestrować ani używać.")),  # noqa: E501
    "LICENCE_REVOKED": (_l("Licencja unieważniona"), _l("Licencja jest unieważniona.")),
    "LICENCE_EXPIRED": (_l("Licencja wygasła"), _l("Licencja wygasła.")),
    "LICENCE_NOT_USABLE": (_l("Licencja nie działa"), _l("Licencja jest zawieszona, unieważniona albo wygasła: plik licencji nie zostanie wydany.")),  # noqa: E501
    "TOO_MANY_INSTALLATIONS": (_l("Wszystkie stanowiska zajęte"), _l("Licencja ma już tyle aktywnych instalacji, ile stanowisk. Zwolnij jedno albo dokup stanowiska.")),  # noqa: E501
    "REGISTRATION_NOT_ACTIVE": (_l("Rejestracja nie jest aktywna"), _l("Plik licencji jest tylko dla rejestracji przyjętej przez Obsługę i niezwolnionej.")),  # noqa: E501
    "WRONG_STATE": (_l("Niewłaściwy stan"), _l("Tej czynności nie można wykonać w obecnym stanie (np. zwolnić stanowiska, które nie jest zajęte).")),  # noqa: E501
    "NOT_FOUND": (_l("Nie znaleziono"), _l("Nie ma takiego adresu w API.")),
    "METHOD_NOT_ALLOWED": (_l("Niedozwolona metoda"), _l("Ten adres nie przyjmuje tej metody HTTP.")),
    "BAD_REQUEST": (_l("Błędne zapytanie"), _l("Zapytanie jest nieczytelne.")),
    "PAYLOAD_TOO_LARGE": (_l("Za duże zapytanie"), _l("Treść zapytania jest za duża.")),
    "RATE_LIMITED": (_l("Za dużo zapytań"), _l("Limit zapytań tego połączenia (albo adresu) został wyczerpany. Spróbuj ponownie po czasie z nagłówka Retry-After.")),  # noqa: E501
    "SERVER_ERROR": (_l("Błąd serwera"), _l("Coś poszło nie tak po stronie Konta. Spróbuj ponownie za chwilę.")),
}
STATUS_CODES = {400: "BAD_REQUEST", 404: "NOT_FOUND", 405: "METHOD_NOT_ALLOWED", 413: "PAYLOAD_TOO_LARGE",
                429: "RATE_LIMITED", 500: "SERVER_ERROR"}


class Problem(Exception):
    """An API error: raised anywhere under /api/, answered by `response`."""

    def __init__(self, status, code, detail=None, headers=None, **extra):
        super().__init__(code)
        self.status = status
        self.code = code
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def is_api_request():
    """A request from a program (the API, the OAuth endpoints): errors are JSON, never pages."""
    return request.path.startswith(PREFIXES)


def type_uri(code):
    return external_url("api.problem_types") + "#" + code.lower().replace("_", "-")


def response(status, code, detail=None, headers=None, **extra):
    title, explanation = PROBLEMS.get(code) or PROBLEMS[STATUS_CODES.get(status, "BAD_REQUEST")]
    body = {
        "type": type_uri(code),
        "title": str(title),
        "status": status,
        "detail": str(detail or explanation),
        "code": code,
        **extra,
    }
    result = current_app.response_class(json.dumps(body, ensure_ascii=False), status, mimetype=MEDIA_TYPE)
    result.headers["Content-Language"] = "pl"
    result.headers["Cache-Control"] = "no-store"
    for name, value in (headers or {}).items():
        result.headers[name] = value
    return result


def from_problem(problem):
    return response(problem.status, problem.code, problem.detail, problem.headers, **problem.extra)


def for_status(status, headers=None):
    """An HTTP error (404, 405, 413, 500…) of a program's request."""
    code = STATUS_CODES.get(status, "BAD_REQUEST" if status < 500 else "SERVER_ERROR")
    return response(status, code, headers=headers)
