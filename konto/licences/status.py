"""What a licence, its Abonament and its extensions are on a given day: computed, not stored.

Stored: the states people set (pending, suspended, revoked). Computed from dates: a licence
that "wygasa za N dni" or "wygasła", an Abonament's days left and its 30-day renewal window.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask_babel import ngettext

from konto import i18n
from konto.i18n_cache import lazy_gettext as _l

EXPIRING_DAYS = 30  # a licence "wygasa za N dni" from this many days before its end
RENEWAL_WINDOW_DAYS = 30  # after an Abonament ends, it can be renewed at the renewal price this long
NOTICE_MARKS = (30, 7, 0)  # Abonament notices: days before its end

LICENCE_LABELS = {
    "active": _l("aktywna"),
    "expiring": _l("wygasa"),
    "expired": _l("wygasła"),
    "suspended": _l("zawieszona"),
    "revoked": _l("unieważniona"),
    "pending": _l("oczekuje na akceptację"),
}


@dataclass
class State:
    code: str
    label: str
    days: int | None = None  # days left (negative: days since)
    until: object = None  # a date that matters (end, renewal deadline)

    @property
    def tone(self):
        """How the badge looks: ok, warn or bad."""
        if self.code == "active":
            return "ok"
        if self.code in ("expiring", "ending", "window", "trial", "pending"):
            return "warn"
        return "bad"


def _days(n):
    return ngettext("%(num)d dzień", "%(num)d dni", n)


def licence_state(licence, today):
    if licence.status in ("revoked", "suspended", "pending"):
        return State(licence.status, str(LICENCE_LABELS[licence.status]))
    if licence.valid_until is not None:
        left = (licence.valid_until - today).days
        if left < 0:
            return State("expired", str(LICENCE_LABELS["expired"]), left, licence.valid_until)
        if left <= EXPIRING_DAYS:
            label = str(_l("wygasa dziś")) if left == 0 else str(_l("wygasa za %(days)s", days=_days(left)))
            return State("expiring", label, left, licence.valid_until)
    return State("active", str(LICENCE_LABELS["active"]), None, licence.valid_until)


def usable(licence, today):
    """A licence that works: active (or expiring), not pending, suspended, revoked or expired."""
    return licence_state(licence, today).code in ("active", "expiring")


def abonament_state(licence, today):
    """None without an Abonament; else active / ending (≤ 30 days) / window (renewal) / expired."""
    end = licence.abonament_until
    if end is None:
        return None
    left = (end - today).days
    if left > EXPIRING_DAYS:
        return State("active", str(_l("aktywny")), left, end)
    if left > 0:
        return State("ending", str(_l("kończy się za %(days)s", days=_days(left))), left, end)
    if left == 0:
        return State("ending", str(_l("kończy się dziś")), 0, end)
    deadline = end + timedelta(days=RENEWAL_WINDOW_DAYS)
    if today <= deadline:
        return State(
            "window",
            str(_l("po terminie — odnowienie w cenie odnowienia do %(date)s", date=i18n.date_text(deadline))),
            left,
            deadline,
        )
    return State("expired", str(_l("wygasł")), left, end)


def extension_state(extension, today):
    if extension.ended_at is not None:
        return State("ended", str(_l("zakończone")))
    if extension.trial_until is not None:
        left = (extension.trial_until - today).days
        if left < 0:
            return State("trial_over", str(_l("okres próbny zakończony")), left, extension.trial_until)
        return State(
            "trial",
            str(_l("okres próbny do %(date)s", date=i18n.date_text(extension.trial_until))),
            left,
            extension.trial_until,
        )
    if extension.valid_until is not None and extension.valid_until < today:
        return State("expired", str(_l("wygasło")), None, extension.valid_until)
    return State("active", str(_l("aktywne")), None, extension.valid_until)


def extension_usable(extension, today):
    return extension_state(extension, today).code in ("active", "trial")


def stations_total(licence, extensions, today):
    """The licence's stations plus its live extra-stations extensions."""
    extra = sum(e.quantity for e in extensions if e.product.kind == "stations" and extension_usable(e, today))
    return licence.stations + extra
