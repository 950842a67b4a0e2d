"""The enumerated fields of the registry and the orders, with their Chinese labels and what they mean:
answered by ``GET /api/v1/vocabularies`` (the gateway), read by the registry's import (Chinese or code
in a cell), and checked against the services' OpenAPI enums by a test (tests/platform/test_vocabularies.py),
so that the two never say different things."""

from __future__ import annotations

# field -> value -> (label, description)
Entries = dict[str, tuple[str, str]]

RESIDENCE_TYPES: Entries = {
    "registered": ("户籍", "registered here (户口 in this community)"),
    "permanent": ("常住", "lives here six months or more without a hukou here"),
    "floating": ("流动", "floating population: lives here for now"),
    "relocated": ("易地搬迁安置", "resettled here from a poverty-relief relocation"),
}
RELATIONS: Entries = {
    "head": ("户主", "the head of the household"),
    "spouse": ("配偶", "the head's spouse"),
    "child": ("子女", "the head's child"),
    "parent": ("父母", "the head's parent"),
    "grandchild": ("孙子女", "the head's grandchild"),
    "grandparent": ("祖父母", "the head's grandparent"),
    "sibling": ("兄弟姐妹", "the head's brother or sister"),
    "other": ("其他", "anyone else living in the household"),
}
EMPLOYMENT: Entries = {
    "employed": ("在业", "in work"),
    "unemployed": ("失业", "out of work and looking (the job board's seekers)"),
    "retired": ("退休", "retired"),
    "student": ("在校", "at school or university"),
    "none": ("无业", "not working and not looking"),
}
GENDERS: Entries = {"M": ("男", "male (from the ID number)"), "F": ("女", "female (from the ID number)")}
# GB/T 31000 "9+X": the nine groups every community keeps; sensitive ones (PIPL: health, minors,
# financial hardship) are seen only by the roles that need them. A community adds its own (GET /api/v1/tags).
STANDARD_TAGS: dict[str, tuple[str, bool]] = {
    "elderly": ("高龄老人", False),
    "empty_nest": ("空巢/独居老人", False),
    "solitary": ("孤寡老人", False),
    "disabled": ("残疾人", True),
    "left_behind_child": ("留守儿童", True),
    "low_income": ("低保/困难家庭", True),
    "veteran": ("退役军人", False),
    "party_member": ("党员", False),
    "volunteer": ("志愿者", False),
}

ORDER_KINDS: Entries = {
    "service": ("服务", "a service from the community's menu (居民点单)"),
    "wish": ("微心愿", "a small wish a party member or volunteer fulfils"),
    "issue": ("问题", "a problem found in the grid (by a grid worker, a visit or the 12345 hotline)"),
}
ORDER_STATES: Entries = {
    "placed": ("已下单", "placed, waiting to be dispatched (社区派单)"),
    "dispatched": ("已派单", "assigned to a taker, or open for grabbing in its grid"),
    "accepted": ("已接单", "a taker accepted it (党员接单)"),
    "completed": ("已完成", "the taker finished it; waiting for the resident's rating"),
    "rated": ("已评价", "the resident rated it (居民评单); points credited"),
    "cancelled": ("已取消", "withdrawn by whoever placed it"),
    "rejected": ("已驳回", "refused by the community (not a thing it may do)"),
}
ORDER_CHANNELS: Entries = {
    "app": ("小程序/App", "placed by the resident in the mini-program or app"),
    "proxy": ("代办", "placed by staff or a grid worker on a resident's behalf"),
    "phone": ("电话", "taken by phone"),
    "visit": ("走访", "from a door-to-door visit's follow-up"),
    "open311": ("12345热线", "from the street's hotline system (Open311)"),
}
ESCALATION_LEVELS: Entries = {
    "grid": ("网格", "handled in the grid"),
    "community": ("社区", "escalated to the community (a time limit passed)"),
    "street": ("街道", "escalated to the street"),
}
TAKERS: Entries = {
    "party_member": ("党员", "party members of the grid"),
    "volunteer": ("志愿者", "volunteers of the grid"),
    "partner_unit": ("共建单位", "a partner unit of the community"),
    "community_staff": ("社区工作人员", "the community's own staff"),
}
MENU_CATEGORIES: Entries = {
    "errand": ("代办", "errands run for a resident"),
    "home_check": ("上门认证", "pension and benefit checks at home"),
    "haircut": ("义剪/上门理发", "free haircuts, at home for those who cannot come"),
    "repair": ("家电维修", "repairs of household appliances"),
    "legal_aid": ("法律援助", "legal advice and aid"),
    "companionship": ("陪伴", "company for the elderly and those alone"),
    "certificate": ("开具证明", "certificates the community may issue"),
    "health": ("健康", "health checks and care"),
    "other": ("其他", "anything else on the menu"),
}

# What GET /api/v1/vocabularies answers: field -> (where it is used, its entries).
VOCABULARIES: dict[str, tuple[str, Entries]] = {
    "residence_type": ("residents: residence_type (居住类型)", RESIDENCE_TYPES),
    "relation": ("residents: relation to the head (与户主关系)", RELATIONS),
    "employment": ("residents: employment (就业状态)", EMPLOYMENT),
    "gender": ("residents: gender, from the ID number", GENDERS),
    "tag": (
        "residents: tags (the nine standard groups; a community's own come from GET /api/v1/tags)",
        {
            code: (name, "sensitive: seen only by roles that need it" if sensitive else "")
            for code, (name, sensitive) in STANDARD_TAGS.items()
        },
    ),
    "order_kind": ("orders: kind", ORDER_KINDS),
    "order_state": ("orders: state", ORDER_STATES),
    "order_channel": ("orders: channel", ORDER_CHANNELS),
    "escalation_level": ("orders: escalation_level", ESCALATION_LEVELS),
    "taker": ("menu: takers (who may take the item's orders)", TAKERS),
    "menu_category": ("menu: category", MENU_CATEGORIES),
}


def labels(entries: Entries) -> dict[str, str]:
    """value -> Chinese label (what the import reads in a cell)."""
    return {value: label for value, (label, _) in entries.items()}
