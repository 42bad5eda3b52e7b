"""Coordinator pages of the matching and the resource person's answer. Thin views."""

import time
from collections.abc import Callable
from decimal import Decimal

from django.contrib import messages
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from maillage.calls.models import Call, Programme
from maillage.core.permissions import current_user, public, role_required
from maillage.people.models import Role

from . import explain, profiles, selectors, services
from .forms import AnswerForm, MatchingSettingsForm
from .models import MatchingSettings, PairRule, Proposal

STAFF = (Role.COORDINATOR, Role.ADMIN)


def _absolute(request: HttpRequest) -> Callable[[str], str]:
    return request.build_absolute_uri


@role_required(*STAFF)
def index(request: HttpRequest) -> HttpResponse:
    return render(request, "pairing/index.html", {"calls": selectors.calls_overview()})


@role_required(*STAFF)
def call_page(request: HttpRequest, call_id: int) -> HttpResponse:
    call = get_object_or_404(Call.objects.select_related("programme"), pk=call_id)
    run = selectors.latest_run(call.pk)
    rows = selectors.proposal_rows(run) if run else []
    return render(
        request,
        "pairing/call.html",
        {
            "call": call,
            "run": run,
            "gap": _gap(run),
            "rows": rows,
            "to_publish": sum(1 for row in rows if row.proposal.status in ("proposed", "locked")),
            "unmatched": selectors.unmatched_needs(run) if run else [],
            "committed": selectors.committed_proposals(call),
            "rules": selectors.pair_rules(call),
            "missing": selectors.missing_competences(call),
        },
    )


def _gap(run: object) -> str:
    if run is None or not getattr(run, "upper_bound", 0):
        return ""
    gap = max(0.0, (run.upper_bound - run.total_score) / run.upper_bound * 100)  # type: ignore[attr-defined]
    return number_format(gap, 2)


@require_POST
@role_required(*STAFF)
def run(request: HttpRequest, call_id: int) -> HttpResponse:
    call = get_object_or_404(Call.objects.select_related("programme"), pk=call_id)
    started = time.perf_counter()
    try:
        services.run_matching(call, current_user(request))
    except services.MatchingError as error:
        messages.warning(request, str(error))
    except ValueError as error:
        messages.error(
            request, _("La mise en relation n'a pas pu aboutir : %(error)s") % {"error": error}
        )
    else:
        messages.success(
            request,
            # The whole run (reading, scoring, solving, storing), not only the solver's part.
            _("Mise en relation calculée en %(seconds)s s.")
            % {"seconds": number_format(time.perf_counter() - started, 2)},
        )
    return redirect("pairing:call", call_id=call.pk)


def _proposal_action(
    request: HttpRequest, pk: int, action: Callable[..., object], done: str
) -> HttpResponse:
    proposal = Proposal.objects.select_related("run").filter(pk=pk).first()
    if proposal is None:
        # A re-run deletes the drafts of the runs before it: a page left open on an earlier
        # run posts ids that no longer exist.
        messages.error(
            request,
            _(
                "Cette proposition n'existe plus : une nouvelle mise en relation l'a remplacée. "
                "Rouvrez l'appel pour voir les propositions à jour."
            ),
        )
        return redirect("pairing:index")
    try:
        action(proposal, current_user(request))
    except services.MatchingError as error:
        messages.error(request, str(error))
    except ValueError as error:
        messages.error(
            request, _("La mise en relation n'a pas pu aboutir : %(error)s") % {"error": error}
        )
    else:
        messages.success(request, done)
    return redirect(f"{_call_url(proposal.run.call_id)}#besoin-{proposal.application_id}")


def _call_url(call_id: int) -> str:
    from django.urls import reverse

    return reverse("pairing:call", args=[call_id])


@require_POST
@role_required(*STAFF)
def lock(request: HttpRequest, pk: int) -> HttpResponse:
    return _proposal_action(
        request, pk, services.lock, _("Paire verrouillée : elle sera gardée à chaque relance.")
    )


@require_POST
@role_required(*STAFF)
def forbid(request: HttpRequest, pk: int) -> HttpResponse:
    return _proposal_action(
        request,
        pk,
        services.forbid,
        _("Paire interdite. Relancez la mise en relation pour proposer une autre personne."),
    )


@require_POST
@role_required(*STAFF)
def choose(request: HttpRequest, pk: int) -> HttpResponse:
    return _proposal_action(
        request,
        pk,
        services.choose_alternative,
        _("Alternative retenue et verrouillée ; la mise en relation a été relancée."),
    )


@require_POST
@role_required(*STAFF)
def remove_rule(request: HttpRequest, pk: int) -> HttpResponse:
    rule = get_object_or_404(PairRule, pk=pk)
    services.remove_rule(rule)
    messages.success(request, _("Règle supprimée ; elle s'appliquera dès la prochaine relance."))
    return redirect("pairing:call", call_id=rule.call_id)


@require_POST
@role_required(*STAFF)
def publish(request: HttpRequest, call_id: int) -> HttpResponse:
    call = get_object_or_404(Call.objects.select_related("programme"), pk=call_id)
    result = services.publish(call, _absolute(request))
    messages.success(
        request,
        _("%(count)s proposition(s) envoyée(s) aux personnes-ressources.")
        % {"count": result.published},
    )
    if result.skipped:
        messages.error(
            request,
            _(
                "%(count)s proposition(s) non envoyée(s) : la personne-ressource a atteint sa "
                "capacité depuis le calcul. Relancez la mise en relation."
            )
            % {"count": result.skipped},
        )
    return redirect("pairing:call", call_id=call.pk)


@role_required(*STAFF)
def settings_page(request: HttpRequest, programme_id: int) -> HttpResponse:
    programme = get_object_or_404(Programme, pk=programme_id)
    matching_settings = profiles.settings_for(programme)
    reference = sorted(profiles.reference_rural_departements())
    initial: dict[str, object] = {
        name: getattr(matching_settings, name) for name in MatchingSettings.WEIGHT_FIELDS
    }
    initial["rural_departements"] = matching_settings.rural_departements or reference
    form = MatchingSettingsForm(
        request.POST or None, initial=initial, region_code=programme.region_code
    )
    if request.method == "POST" and form.is_valid():
        for name in MatchingSettings.WEIGHT_FIELDS:
            setattr(matching_settings, name, Decimal(form.cleaned_data[name]))
        chosen = sorted(form.cleaned_data["rural_departements"])
        # The reference selection is stored as "follow the reference".
        matching_settings.rural_departements = [] if chosen == reference else chosen
        matching_settings.save()
        messages.success(request, _("Pondérations enregistrées."))
        return redirect("pairing:settings", programme_id=programme.pk)
    return render(
        request,
        "pairing/settings.html",
        {"programme": programme, "form": form, "settings": matching_settings},
        status=400 if form.errors else 200,
    )


# --------------------------------------------------------------------------------------------
# The resource person's answer
# --------------------------------------------------------------------------------------------


def _answer_page(
    request: HttpRequest,
    proposal: Proposal | None,
    *,
    status_code: str,
    form: AnswerForm,
    http_status: int = 200,
) -> HttpResponse:
    response = render(
        request,
        "pairing/answer.html",
        {
            "proposal": proposal,
            "application": proposal.application if proposal else None,
            "link_status": status_code,
            "form": form,
            "summary": explain.summary(proposal.components) if proposal else "",
        },
        status=http_status,
    )
    response["Cache-Control"] = "private, no-store"
    return response


def _decision(request: HttpRequest) -> bool | None:
    return {"accept": True, "decline": False}.get(request.POST.get("decision", ""))


@public
def answer_by_token(request: HttpRequest, token: str) -> HttpResponse:
    """The e-mailed link: the token alone authorises the answer, once."""
    link = services.invitation_link(token)
    if link.status == "unknown" or link.invitation is None:
        raise Http404
    proposal = link.invitation.proposal
    form = AnswerForm(request.POST or None)
    if request.method == "POST" and link.status == "valid":
        accept = _decision(request)
        if accept is not None and form.is_valid():
            try:
                result = services.answer(
                    proposal,
                    accept=accept,
                    comment=form.cleaned_data["comment"],
                    absolute=_absolute(request),
                    invitation=link.invitation,
                )
            except services.MatchingError:
                return _answer_page(
                    request, proposal, status_code="used", form=form, http_status=410
                )
            return _done(request, result.proposal)
    http_status = 200 if link.status == "valid" else 410
    return _answer_page(
        request, proposal, status_code=link.status, form=form, http_status=http_status
    )


@role_required(Role.RESOURCE_PERSON)
def my_proposal(request: HttpRequest, pk: int) -> HttpResponse:
    """The same answer from the dashboard, for the signed-in resource person only."""
    proposal = selectors.own_published_proposal(current_user(request), pk)
    form = AnswerForm(request.POST or None)
    valid = proposal.status == "published"
    if request.method == "POST" and valid:
        accept = _decision(request)
        if accept is not None and form.is_valid():
            try:
                result = services.answer(
                    proposal,
                    accept=accept,
                    comment=form.cleaned_data["comment"],
                    absolute=_absolute(request),
                )
            except services.MatchingError:
                valid = False
            else:
                return _done(request, result.proposal)
    return _answer_page(request, proposal, status_code="valid" if valid else "used", form=form)


def _done(request: HttpRequest, proposal: Proposal) -> HttpResponse:
    response = render(request, "pairing/answer_done.html", {"proposal": proposal})
    response["Cache-Control"] = "private, no-store"
    return response
