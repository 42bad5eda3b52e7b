"""JSONTextField: JSON kept as text, decoded on read, serialised as JSON by dumpdata."""

import json

import pytest
from django.core import serializers
from django.core.exceptions import ValidationError
from hypothesis import given
from hypothesis import strategies as st

from maillage.core.fields import JSONTextField
from maillage.pairing.models import Proposal
from tests.factories import ProposalFactory

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text() | st.floats(allow_nan=False),
    lambda children: st.lists(children) | st.dictionaries(st.text(), children),
    max_leaves=20,
)


@given(json_values)
def test_values_survive_the_text_form(value):
    field = JSONTextField()
    text = field.get_prep_value(value)
    if value is None:
        assert text is None
        return
    assert json.loads(text) == value
    assert field.from_db_value(text, None, None) == value
    assert field.to_python(text) == value


def test_invalid_text_is_refused_in_french():
    with pytest.raises(ValidationError) as error:
        JSONTextField().to_python("[1, 2")
    assert error.value.messages == ["JSON invalide."]


@pytest.mark.django_db
def test_score_details_round_trip_through_the_database_and_dumpdata():
    details = [{"code": "competence", "points": 40.0, "params": {"exact": 1, "label": "Régie"}}]
    proposal = ProposalFactory(components=details)
    assert Proposal.objects.get(pk=proposal.pk).components == details
    dumped = serializers.serialize("json", [proposal])
    assert json.loads(json.loads(dumped)[0]["fields"]["components"]) == details
    restored = next(serializers.deserialize("json", dumped)).object
    assert restored.components == details
