"""A street's functional departments (职能部门: 城管, 市场监管 ...), and 吹哨报到: calling them to a case."""
