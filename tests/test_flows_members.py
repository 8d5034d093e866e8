"""The membership and invitation flows called directly, as another caller than a view would
(the back office, a job): they keep their rules whoever calls them, and twice is once."""

from datetime import timedelta

from konto import taxid
from konto.flows import access
from konto.flows import companies
from konto.flows import invitations
from konto.flows import members
from konto.models import AccessRequest
from konto.models import Email
from konto.models import Invitation
from konto.models import Membership
from konto.models import MembershipEvent
from konto.models import User
from konto.models import utcnow
from tests.helpers import activated_account

CONTACT = {"contact_email": "anna@example.com", "contact_phone": None, "contact_sms": False}


def company_of(user, number="PL5250001003"):
    draft = companies.look_up(user, taxid.parse(number)).draft
    return companies.add_company(user, draft.key, CONTACT)


def member(user, company, role=members.MEMBER):
    invitation = invitations.invite(admin_of(company), company.id, user.email, role).invitation
    assert invitations.accept(user, invitation.id).outcome == invitations.ACCEPTED
    return Membership.get((Membership.user == user.id) & (Membership.company == company.id))


def admin_of(company):
    return User.select().join(Membership).where(
        (Membership.company == company.id) & (Membership.role == members.ADMIN)).order_by(User.id).first()


def snapshot():
    return (
        [(m.user_id, m.company_id, m.role) for m in Membership.select().order_by(Membership.id)],
        [(i.status, i.token_hash, i.send_count) for i in Invitation.select().order_by(Invitation.id)],
        Email.select().count(),
        MembershipEvent.select().count(),
    )


def test_a_plain_member_and_a_stranger_change_nothing(ctx):
    anna, bob, eve = (activated_account(f"{name}@example.com") for name in ("anna", "bob", "eve"))
    company = company_of(anna)
    anna_member = Membership.get(Membership.user == anna.id)
    member(bob, company)
    pending = invitations.invite(anna, company.id, "carol@example.com", members.MEMBER).invitation
    before = snapshot()
    for actor, refused in ((bob, members.NOT_ADMIN), (eve, members.NOT_FOUND)):
        assert members.change_role(actor, company.id, anna_member.id, members.MEMBER) == refused
        assert members.remove(actor, company.id, anna_member.id) == refused
        assert members.hand_over(actor, company.id, anna_member.id) == refused
        assert invitations.invite(actor, company.id, "x@example.com", members.ADMIN).outcome == refused
        assert invitations.resend(actor, company.id, pending.id).outcome == refused
        assert invitations.revoke(actor, company.id, pending.id).outcome == refused
    assert members.leave(eve, company.id) == members.NOT_FOUND
    assert access.decide(bob, company, 1, accept=True) is None
    assert snapshot() == before


def test_a_role_that_does_not_exist_is_never_given(ctx):
    anna, bob = activated_account("anna@example.com"), activated_account("bob@example.com")
    company = company_of(anna)
    bob_member = member(bob, company)
    assert members.change_role(anna, company.id, bob_member.id, "owner") == members.NOT_FOUND
    assert invitations.invite(anna, company.id, "x@example.com", "owner").outcome == members.NOT_FOUND
    assert Membership.get_by_id(bob_member.id).role == members.MEMBER
    assert Invitation.select().where(Invitation.email == "x@example.com").count() == 0


def test_accepting_twice_is_once(ctx):
    anna, bob = activated_account("anna@example.com"), activated_account("bob@example.com")
    company = company_of(anna)
    invitation = invitations.invite(anna, company.id, bob.email, members.MEMBER).invitation
    assert invitations.accept(bob, invitation.id).outcome == invitations.ACCEPTED
    second = invitations.accept(bob, invitation.id)
    assert second.outcome == invitations.GONE and second.invitation.status == invitations.ACCEPTED
    assert invitations.decline(bob, invitation.id).outcome == invitations.GONE
    assert Membership.select().where(Membership.company == company.id).count() == 2
    assert MembershipEvent.select().where(MembershipEvent.event == "invitation_accepted").count() == 1
    assert User.get_by_id(bob.id).active_company_id == company.id


def test_only_the_invited_address_answers(ctx):
    anna, bob, eve = (activated_account(f"{name}@example.com") for name in ("anna", "bob", "eve"))
    company = company_of(anna)
    invitation = invitations.invite(anna, company.id, bob.email, members.ADMIN).invitation
    assert invitations.accept(eve, invitation.id).outcome == invitations.NOT_YOURS
    assert invitations.decline(eve, invitation.id).outcome == invitations.NOT_YOURS
    assert invitations.for_user(eve, invitation.id) is None
    assert Invitation.get_by_id(invitation.id).status == invitations.PENDING


def test_an_expired_invitation_is_not_accepted(ctx):
    anna, bob = activated_account("anna@example.com"), activated_account("bob@example.com")
    company = company_of(anna)
    invitation = invitations.invite(anna, company.id, bob.email, members.MEMBER).invitation
    Invitation.update(expires_at=utcnow() - timedelta(seconds=1)).execute()
    result = invitations.accept(bob, invitation.id)
    assert result.outcome == invitations.GONE and invitations.state(result.invitation) == invitations.EXPIRED
    assert invitations.pending_for(bob) == []
    assert Membership.select().where(Membership.user == bob.id).count() == 0


def test_an_administrators_invitations_die_when_they_stop_being_one(ctx):
    anna, bob = activated_account("anna@example.com"), activated_account("bob@example.com")
    company = company_of(anna)
    bob_member = member(bob, company, members.ADMIN)
    sent = invitations.invite(bob, company.id, "carol@example.com", members.ADMIN).invitation
    kept = invitations.invite(anna, company.id, "dave@example.com", members.MEMBER).invitation
    assert members.change_role(anna, company.id, bob_member.id, members.MEMBER) == members.DONE
    assert Invitation.get_by_id(sent.id).status == invitations.REVOKED
    assert Invitation.get_by_id(kept.id).status == invitations.PENDING
    carol = activated_account("carol@example.com")
    assert invitations.accept(carol, sent.id).outcome == invitations.GONE
    assert Membership.select().where(Membership.user == carol.id).count() == 0


def test_the_last_administrator_stays_whatever_the_caller(ctx):
    anna, bob = activated_account("anna@example.com"), activated_account("bob@example.com")
    company = company_of(anna)
    member(bob, company)
    anna_member = Membership.get(Membership.user == anna.id)
    assert members.change_role(anna, company.id, anna_member.id, members.MEMBER) == members.LAST_ADMIN
    assert members.remove(anna, company.id, anna_member.id) == members.LAST_ADMIN
    assert members.leave(anna, company.id) == members.LAST_ADMIN
    assert Membership.get_by_id(anna_member.id).role == members.ADMIN
    assert members.hand_over(anna, company.id, anna_member.id) == members.NOT_FOUND  # not to herself


def test_joining_another_way_closes_the_invitation_and_the_request(ctx):
    anna, bob = activated_account("anna@example.com"), activated_account("bob@example.com")
    company = company_of(anna)
    access.ask(bob, company)
    invitation = invitations.invite(anna, company.id, bob.email, members.MEMBER).invitation
    request = AccessRequest.get()
    access.decide(anna, company, request.id, accept=True, role=members.ADMIN)
    assert Membership.get(Membership.user == bob.id).role == members.ADMIN
    assert Invitation.get_by_id(invitation.id).status == invitations.ACCEPTED
    assert invitations.accept(bob, invitation.id).outcome == invitations.GONE
    assert Membership.select().where(Membership.user == bob.id).count() == 1


def test_a_token_finds_its_invitation_only_while_it_is_the_current_one(ctx):
    anna = activated_account("anna@example.com")
    company = company_of(anna)
    assert invitations.by_token(None) is None and invitations.by_token("") is None and invitations.by_token(5) is None
    invitation = invitations.invite(anna, company.id, "bob@example.com", members.MEMBER).invitation
    first = Email.select().order_by(Email.id.desc()).first().text_body.split("/zaproszenie/")[1].split()[0]
    assert invitations.by_token(first).id == invitation.id
    invitations.resend(anna, company.id, invitation.id)
    second = Email.select().order_by(Email.id.desc()).first().text_body.split("/zaproszenie/")[1].split()[0]
    assert invitations.by_token(first) is None and invitations.by_token(second).id == invitation.id
