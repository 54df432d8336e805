"""Schemathesis hooks for motionkit's CI (loaded through SCHEMATHESIS_HOOKS).

The GraphQL schema's `JSON` scalar has no built-in strategy. Generation
values are JSON: mostly lists of {"value": ..., "parameter_id": ...} objects
as the API expects, sometimes any JSON at all.
"""

import schemathesis
from hypothesis import strategies as st
from schemathesis.graphql import nodes


def _field(name, value):
    import graphql

    return graphql.ObjectFieldNode(name=graphql.NameNode(value=name), value=value)


_scalars = st.one_of(
    st.text(max_size=20).map(nodes.String),
    st.integers(min_value=-(2**31), max_value=2**31 - 1).map(nodes.Int),
    st.floats(allow_nan=False, allow_infinity=False).map(nodes.Float),
    st.booleans().map(nodes.Boolean),
    st.just(nodes.Null),
)

_any_json = st.recursive(
    _scalars,
    lambda children: st.one_of(
        st.lists(children, max_size=4).map(nodes.List),
        st.dictionaries(st.text(min_size=1, max_size=10), children, max_size=4).map(
            lambda d: nodes.Object([_field(k, v) for k, v in d.items()])
        ),
    ),
    max_leaves=10,
)

_value = st.builds(
    lambda value, parameter_id: nodes.Object(
        [_field("value", nodes.String(value)), _field("parameter_id", nodes.String(parameter_id))]
    ),
    st.text(max_size=30),
    st.one_of(st.uuids().map(str), st.text(max_size=10)),
)

schemathesis.graphql.scalar(
    "JSON",
    st.one_of(st.lists(_value, max_size=12).map(nodes.List), _any_json),
)
