from django.contrib.auth import views as auth_views
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, render
from django.urls import reverse_lazy

from maillage.competences.models import Domain
from maillage.core.permissions import public, role_required, signed_in
from maillage.geography.models import Departement

from .forms import EmailAuthenticationForm, QueuedPasswordResetForm
from .models import ResourcePerson, Role, ValidationStatus
from .selectors import resource_persons_for_staff, with_profile_details

login = public(
    auth_views.LoginView.as_view(
        authentication_form=EmailAuthenticationForm,
        template_name="people/login.html",
        redirect_authenticated_user=True,
    )
)
logout = public(auth_views.LogoutView.as_view())
password_reset = public(
    auth_views.PasswordResetView.as_view(
        form_class=QueuedPasswordResetForm,
        template_name="people/password_reset.html",
        email_template_name="people/email/password_reset_body.txt",
        subject_template_name="people/email/password_reset_subject.txt",
        success_url=reverse_lazy("people:password_reset_done"),
    )
)
password_reset_done = public(
    auth_views.PasswordResetDoneView.as_view(template_name="people/password_reset_done.html")
)
password_reset_confirm = public(
    auth_views.PasswordResetConfirmView.as_view(
        template_name="people/password_reset_confirm.html",
        success_url=reverse_lazy("people:password_reset_complete"),
    )
)
password_reset_complete = public(
    auth_views.PasswordResetCompleteView.as_view(
        template_name="people/password_reset_complete.html"
    )
)
password_change = signed_in(
    auth_views.PasswordChangeView.as_view(
        template_name="people/password_change.html",
        success_url=reverse_lazy("people:password_change_done"),
    )
)
password_change_done = signed_in(
    auth_views.PasswordChangeDoneView.as_view(template_name="people/password_change_done.html")
)

PAGE_SIZE = 25


@role_required(Role.COORDINATOR, Role.ADMIN)
def resource_person_list(request: HttpRequest) -> HttpResponse:
    filters = {
        "status": request.GET.get("statut", ""),
        "departement": request.GET.get("departement", ""),
        "domain": request.GET.get("domaine", ""),
        "query": request.GET.get("q", "").strip(),
    }
    if filters["status"] not in ValidationStatus.values:
        filters["status"] = ""
    page = Paginator(
        resource_persons_for_staff(**filters).order_by("user__last_name", "pk"), PAGE_SIZE
    ).get_page(request.GET.get("page"))
    return render(
        request,
        "people/resource_person_list.html",
        {
            "page": page,
            "filters": filters,
            "statuses": ValidationStatus.choices,
            "departements": Departement.objects.all(),
            "domains": Domain.objects.all(),
        },
    )


@role_required(Role.COORDINATOR, Role.ADMIN)
def resource_person_detail(request: HttpRequest, pk: int) -> HttpResponse:
    person = get_object_or_404(with_profile_details(ResourcePerson.objects.all()), pk=pk)
    return render(request, "people/resource_person_detail.html", {"person": person})
