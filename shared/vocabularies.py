"""The enumerated fields of the API, with their Chinese labels and what they mean: answered by
``GET /api/v1/vocabularies`` (the gateway), read by the registry's import (Chinese or code in a cell),
and written into every enum of the OpenAPI documents as ``x-enumDescriptions`` (``label_enums``, matched by
the enum's set of values). tests/platform/test_vocabularies.py checks that every enum of the API is a
vocabulary and every vocabulary an enum, so that the two never say different things."""

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
    "verified": ("已核实", "a problem's case: staff confirmed it is real (核实)"),
    "filed": ("已立案", "a problem's case: filed under a class and urgency (立案), waiting to be dispatched (派遣)"),
    "handled": ("已处置", "a problem's case: the handler reported it handled (处置); waiting for its check (核查)"),
    "checked": ("已核查", "a problem's case: the check passed; waiting to be closed (结案)"),
    "closed": ("已结案", "a problem's case: closed (结案)"),
    "refused": ("不予立案", "a problem's case: not filed, with the reason (or a 12345 ticket taken back: 退单)"),
    "shelved": ("挂账", "a problem's case set aside until its review day; its clock stops"),
    "voided": ("已作废", "a problem's case voided as a duplicate of the case kept"),
}
ORDER_CHANNELS: Entries = {
    "app": ("小程序/App", "placed by the resident in the mini-program or app"),
    "proxy": ("代办", "placed by staff or a grid worker on a resident's behalf"),
    "phone": ("电话", "taken by phone"),
    "visit": ("走访", "from a door-to-door visit's follow-up"),
    "open311": ("Open311", "from the street's own system speaking Open311 GeoReport v2"),
    "hotline": ("12345热线", "a 12345 hotline ticket (接诉即办) posted by the street's hotline client"),
}
LIGHTS: Entries = {
    "green": ("绿灯", "the running stage has used less than 80 % of its limit"),
    "yellow": ("黄灯", "80 % of the limit used: due soon"),
    "red": ("红灯", "past its limit (超期)"),
    "none": ("无", "no clock runs (not started, signed, ended or shelved)"),
}
SATISFACTIONS: Entries = {
    "satisfied": ("满意", "the caller is satisfied"),
    "basically_satisfied": ("基本满意", "the caller is basically satisfied"),
    "dissatisfied": ("不满意", "the caller is not satisfied"),
}
EXTENSION_STATES: Entries = {
    "pending": ("待审批", "waiting for staff to decide"),
    "approved": ("已批准", "approved: the handling limit moved on"),
    "refused": ("不批准", "refused: the limit stays"),
}
RETURN_STATES: Entries = {
    "none": ("未退单", "the street never asked to return the ticket"),
    "requested": ("退单待审", "the street asked the hotline to take it back; waiting for the answer"),
    "accepted": ("退单通过", "the hotline took it back: the case ends"),
    "refused": ("退单驳回", "the hotline refused: the street handles it"),
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

# -- the rest of the API's enumerated fields (labels for the OpenAPI document's x-enumDescriptions) ----------

PLACE_LEVELS: Entries = {
    "street": ("街道", "the street (街道办) as a whole"),
    "community": ("社区", "one community (社区)"),
    "grid": ("网格", "one grid (网格)"),
}
POINT_LEVELS: Entries = {
    "community": ("社区", "ranked across the community"),
    "grid": ("网格", "ranked within each grid"),
}
NOTICE_LEVELS: Entries = {
    "community": ("社区", "to the whole community"),
    "grid": ("网格", "to one grid"),
    "compound": ("小区", "to one residential compound"),
}
DISPATCH_MODES: Entries = {
    "assign": ("指派", "assigned to one taker"),
    "grab": ("抢单", "open to the grid's takers; the first to accept takes it"),
    "department": ("派给职能部门", "a problem's case dispatched to a department (职能部门) of the street"),
}
ROLES: Entries = {
    "street_admin": ("街道管理员", "administers a street: its communities, accounts and figures"),
    "community_staff": ("社区工作人员", "community staff: registry, dispatch, life of the community"),
    "grid_worker": ("网格员", "a grid worker: visits, problems found, the grid's households"),
    "party_member": ("党员", "a party member who takes orders (党员接单)"),
    "volunteer": ("志愿者", "a volunteer who takes orders"),
    "building_head": ("楼栋长", "the head of a building, helping the grid worker"),
    "employer": ("用工单位", "an employer on the job board"),
    "department": ("职能部门", "a functional department (城管, 市场监管 ...): handles the cases sent or called to it"),
}
PARTY_KINDS: Entries = {
    "resident": ("居民党员", "a party member living in the community"),
    "work_unit": ("在职党员", "a working party member reporting to the community (双报到)"),
    "co_building": ("共驻共建", "a party member of a unit building the community with it (共驻共建单位)"),
}
PARTY_LEVELS: Entries = {
    "county_committee": ("区县党委", "the county or district party committee"),
    "street_committee": ("街道党工委", "the street's party working committee"),
    "community_org": ("社区党组织", "the community's party committee or branch"),
    "compound_branch": ("小区党支部", "a residential compound's party branch"),
    "building_group": ("楼栋党小组", "a building's party group"),
}
VISIT_KINDS: Entries = {
    "routine": ("日常走访", "a routine door-to-door visit"),
    "wedding_funeral": ("红白喜事", "a wedding or a funeral in the household (必访)"),
    "illness": ("生病住院", "serious illness or a stay in hospital (必访)"),
    "family_change": ("家庭变故", "a change in the family (必访)"),
    "dispute": ("矛盾纠纷", "a dispute (必访)"),
    "accident": ("意外灾害", "an accident or a disaster (必访)"),
}
VISIT_RESULTS: Entries = {
    "created": ("已记录", "the visit was recorded"),
    "exists": ("已存在", "the visit was recorded before (the same id sent again)"),
    "rejected": ("未记录", "the visit was refused; the reason says why"),
}
NOTICE_CATEGORIES: Entries = {
    "policy": ("政策解读", "a policy explained"),
    "outage": ("停水停电", "water, power or gas cut"),
    "job_fair": ("招聘会", "a job fair"),
    "anti_fraud": ("反诈提醒", "an anti-fraud warning"),
    "safety": ("安全提示", "a safety warning"),
    "other": ("其他", "anything else"),
}
PUBLICATION_STATES: Entries = {
    "published": ("已发布", "published and visible"),
    "cancelled": ("已取消", "cancelled by its organiser"),
}
ACTIVITY_KINDS: Entries = {
    "volunteer_service": ("志愿服务", "volunteer service"),
    "culture_sports": ("文体活动", "culture and sports"),
    "festival_care": ("节日关怀", "festival care (重阳, 春节)"),
    "haircut": ("义剪", "free haircuts"),
    "clinic": ("义诊", "a free clinic"),
    "night_school": ("农民夜校", "evening classes"),
    "after_school": ("四点半课堂", "after-school care for children"),
    "red_culture": ("红色文化宣讲", "talks on the party's history"),
    "other": ("其他", "anything else"),
}
TARGET_GROUPS: Entries = {
    "everyone": ("所有人", "everyone"),
    "elderly": ("老年人", "the elderly"),
    "children": ("儿童", "children"),
    "youth": ("青少年", "young people"),
    "women": ("妇女", "women"),
    "disabled": ("残疾人", "people with disabilities"),
}
ORGANISER_KINDS: Entries = {
    "community": ("社区", "the community"),
    "party_org": ("党组织", "a party organisation"),
    "volunteer_team": ("志愿服务队", "a volunteer team"),
    "partner_unit": ("共建单位", "a partner unit"),
}
SIGNUP_ROLES: Entries = {
    "participant": ("参加者", "takes part"),
    "volunteer": ("志愿者", "helps run it, for volunteer hours"),
}
SIGNUP_STATES: Entries = {
    "confirmed": ("已报名", "has a place"),
    "waiting": ("候补", "on the waiting list"),
    "cancelled": ("已取消", "withdrew, or the activity was cancelled"),
}
CHECK_IN_METHODS: Entries = {
    "staff": ("工作人员签到", "checked in by staff"),
    "code": ("签到码", "checked in with the activity's code"),
}
MANAGEMENT_MODES: Entries = {
    "company": ("物业公司", "managed by a property company"),
    "self_managed": ("业主自治自管", "managed by the owners themselves"),
}
COMMITTEE_KINDS: Entries = {
    "owners_committee": ("业主委员会", "the owners' committee (业委会)"),
    "management_committee": ("物业管理委员会", "the interim property management committee (物管会)"),
}
COMMITTEE_POSITIONS: Entries = {
    "director": ("主任", "the committee's director"),
    "deputy_director": ("副主任", "a deputy director"),
    "member": ("委员", "a member"),
}
PROPERTY_PROBLEMS: Entries = {
    "leak": ("房屋漏水", "water leaking into homes"),
    "facade": ("外墙脱落", "facade falling off"),
    "fumes": ("油烟", "cooking fumes"),
    "pets": ("宠物", "pets"),
    "noise": ("噪声", "noise"),
    "parking": ("停车", "parking"),
    "e_bike": ("飞线充电", "e-bikes charged by cables hung from windows"),
    "other": ("其他", "anything else"),
}
EMPLOYER_KINDS: Entries = {
    "workshop": ("扶贫车间", "a poverty-relief workshop"),
    "factory": ("社区工厂", "a community factory"),
    "hotel": ("酒店", "a hotel"),
    "hospital": ("医院", "a hospital"),
    "supermarket": ("超市", "a supermarket"),
    "other": ("其他", "any other employer"),
}
JOB_CATEGORIES: Entries = {
    "manufacturing": ("制造加工", "manufacturing"),
    "handicraft": ("手工编织", "handicraft"),
    "hospitality": ("酒店服务", "hotels and hospitality"),
    "catering": ("餐饮", "catering"),
    "healthcare": ("医护陪护", "health care and nursing"),
    "retail": ("零售", "retail"),
    "cleaning": ("保洁", "cleaning"),
    "security": ("保安", "security guards"),
    "logistics": ("物流快递", "logistics and delivery"),
    "agriculture": ("农业", "farm work"),
    "domestic": ("家政", "domestic work"),
    "other": ("其他", "anything else"),
}
SHIFTS: Entries = {
    "day": ("白班", "day shift"),
    "evening": ("晚班", "evening shift"),
    "night": ("夜班", "night shift"),
    "flexible": ("灵活", "flexible hours"),
}
LABOUR_CAPACITIES: Entries = {
    "full": ("全劳动力", "can do a full working day"),
    "half": ("半劳动力", "can work part of the day"),
    "weak": ("弱劳动力", "light work only (elderly, disabled, carers)"),
}
WAGE_UNITS: Entries = {
    "month": ("月薪", "per month"),
    "day": ("日薪", "per day"),
    "hour": ("时薪", "per hour"),
    "piece": ("计件", "per piece"),
}
POSTING_STATES: Entries = {
    "draft": ("草稿", "not yet open to seekers"),
    "open": ("招聘中", "open for applications"),
    "closed": ("已结束", "closed: filled, withdrawn or expired"),
}
POSTING_CLOSED_REASONS: Entries = {
    "filled": ("已招满", "every opening was filled"),
    "closed": ("已关闭", "closed by the employer or staff"),
    "expired": ("已过期", "past its expiry date"),
}
APPLICATION_STATES: Entries = {
    "applied": ("已投递", "applied"),
    "shortlisted": ("已入围", "shortlisted by the employer"),
    "interviewed": ("已面试", "interviewed"),
    "hired": ("已录用", "hired"),
    "rejected": ("未录用", "not taken"),
    "withdrawn": ("已撤回", "withdrawn by the seeker"),
}
ENROLMENT_STATES: Entries = {
    "enrolled": ("已报名", "has a place in the training"),
    "waiting": ("候补", "on the waiting list"),
    "withdrawn": ("已退出", "withdrew"),
    "completed": ("已结业", "finished the training"),
}
MATCH_FACTORS: Entries = {
    "skills": ("技能", "skills the posting asks for"),
    "capacity": ("劳动能力", "labour capacity against the work"),
    "hours": ("工时", "hours and shifts"),
    "place": ("地点", "distance between home and work"),
    "category": ("行业", "the categories the seeker wants"),
    "freshness": ("新近", "how recently the posting opened"),
}
REVEAL_FIELDS: Entries = {
    "phone": ("手机号", "the resident's phone number"),
    "id_number": ("身份证号", "the resident's ID number"),
}
EXPORT_FORMATS: Entries = {
    "json": ("JSON", "the figures as JSON"),
    "csv": ("CSV", "a CSV file"),
    "xlsx": ("Excel", "an Excel workbook (.xlsx)"),
}
# The case indicators (docs/DOMAIN.md "Indicators and the monthly bulletin").
INDICATOR_GROUPS: Entries = {
    "grid": ("网格", "per grid the case lies in"),
    "community": ("社区", "per community the case lies in"),
    "street": ("街道", "per street the case lies in"),
    "department": ("职能部门", "per department the case is dispatched to"),
    "class": ("案件小类", "per class of case (立案 gives it)"),
}
CASE_SOURCES: Entries = {
    "hotline": ("12345热线", "a 12345 hotline ticket (接诉即办)"),
    "open311": ("Open311", "the street's own system, through Open311"),
    "visit": ("走访发现", "found on a door-to-door visit"),
    "resident": ("居民上报", "reported by a resident, in the app or by phone"),
    "grid_worker": ("网格员上报", "reported by a grid worker (巡查发现, 代办)"),
}
BULLETIN_FORMATS: Entries = {
    "json": ("JSON", "the tables as JSON"),
    "xlsx": ("Excel", "an Excel workbook (.xlsx), a sheet per table"),
}

# -- the case loop: classes, stages, urgency, departments, the working calendar ---------------------------------
CASE_TYPES: Entries = {
    "component": ("部件", "a thing in the street (a manhole cover, a lamp) broken, missing or misused"),
    "event": ("事件", "something that happens (a stall on the pavement, exposed rubbish)"),
}
CASE_STAGES: Entries = {
    "verify": ("核实", "from the report to its verification"),
    "file": ("立案", "from verification to filing (or refusing to file)"),
    "dispatch": ("派遣", "from filing to dispatch to a person or a department"),
    "handle": ("处置", "from dispatch to the handler's report"),
    "check": ("核查", "from the handler's report to the check"),
    "close": ("结案", "from the check to closing"),
}
URGENCIES: Entries = {
    "urgent": ("紧急", "an urgent case: shorter limits"),
    "normal": ("一般", "a normal case"),
}
DEPARTMENT_KINDS: Entries = {
    "urban_management": ("城管执法", "urban management and law enforcement"),
    "market_regulation": ("市场监管", "market regulation"),
    "housing": ("住建", "housing and construction"),
    "sanitation": ("环卫", "street cleaning and rubbish"),
    "water": ("供水", "water supply"),
    "drainage": ("排水", "drains and sewers"),
    "gas": ("燃气", "gas supply"),
    "power": ("供电", "power supply"),
    "telecom": ("通信", "telecommunications and cable"),
    "roads": ("市政道路", "roads, bridges and street lamps"),
    "traffic_police": ("交警", "traffic police"),
    "police": ("派出所", "the police station"),
    "landscaping": ("园林绿化", "parks, trees and green spaces"),
    "environment": ("生态环境", "the environment bureau"),
    "fire": ("消防", "fire and rescue"),
    "agriculture": ("农业农村", "agriculture and rural affairs"),
    "property": ("物业", "the property company or the owners"),
    "street_office": ("街道办", "the street office itself"),
    "other": ("其他", "any other department or unit"),
}
DAY_SOURCES: Entries = {
    "national": ("国家", "as the State Council's calendar has it (holidays, 调休 workdays)"),
    "street": ("街道", "the street's own day, set by its admins"),
}
CALL_LIGHTS: Entries = {
    "green": ("绿灯", "the clock runs, under 80 % of its limit used"),
    "yellow": ("黄灯", "the clock runs, 80 % of its limit or more used"),
    "red": ("红灯", "the clock runs past its limit"),
    "done_on_time": ("按时完成", "done (signed or reported) within its limit"),
    "done_late": ("超时完成", "done (signed or reported) after its limit"),
    "none": ("无", "no clock"),
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
    "dispatch_mode": ("orders: dispatch mode", DISPATCH_MODES),
    "place_level": ("statistics: group_by; the level of a place", PLACE_LEVELS),
    "point_level": ("points: leaderboard level", POINT_LEVELS),
    "role": ("accounts: role", ROLES),
    "party_kind": ("party members: kind", PARTY_KINDS),
    "party_level": ("party organisations: level", PARTY_LEVELS),
    "visit_kind": ("visits: kind (走访类型)", VISIT_KINDS),
    "visit_result": ("visits: the result of each visit of a batch", VISIT_RESULTS),
    "notice_level": ("notices: level", NOTICE_LEVELS),
    "notice_category": ("notices: category", NOTICE_CATEGORIES),
    "publication_state": ("notices and activities: state", PUBLICATION_STATES),
    "activity_kind": ("activities: kind", ACTIVITY_KINDS),
    "target_group": ("activities: target groups", TARGET_GROUPS),
    "organiser_kind": ("activities: organiser kind", ORGANISER_KINDS),
    "signup_role": ("activity sign-ups: role", SIGNUP_ROLES),
    "signup_state": ("activity sign-ups: state", SIGNUP_STATES),
    "check_in_method": ("activity sign-ups: check-in method", CHECK_IN_METHODS),
    "management_mode": ("property: management mode", MANAGEMENT_MODES),
    "committee_kind": ("property: committee kind", COMMITTEE_KINDS),
    "committee_position": ("property: committee position", COMMITTEE_POSITIONS),
    "property_problem": ("property: problem category", PROPERTY_PROBLEMS),
    "employer_kind": ("jobs: employer kind", EMPLOYER_KINDS),
    "job_category": ("jobs: category", JOB_CATEGORIES),
    "shift": ("jobs: shifts", SHIFTS),
    "labour_capacity": ("jobs: labour capacity (劳动能力)", LABOUR_CAPACITIES),
    "wage_unit": ("jobs: wage unit", WAGE_UNITS),
    "posting_state": ("jobs: posting state", POSTING_STATES),
    "posting_closed_reason": ("jobs: why a posting closed", POSTING_CLOSED_REASONS),
    "application_state": ("jobs: application state", APPLICATION_STATES),
    "enrolment_state": ("trainings: enrolment state", ENROLMENT_STATES),
    "match_factor": ("jobs: matching factor", MATCH_FACTORS),
    "reveal_field": ("registry: the field a reveal shows", REVEAL_FIELDS),
    "export_format": ("statistics: export format", EXPORT_FORMATS),
    "case_type": ("case classes: type (部件 or 事件)", CASE_TYPES),
    "case_stage": ("case classes: the stage of a time limit", CASE_STAGES),
    "urgency": ("cases: urgency (紧急程度)", URGENCIES),
    "department_kind": ("case classes: the kind of department that handles it", DEPARTMENT_KINDS),
    "day_source": ("calendar: whose rule makes a day a workday or a rest day", DAY_SOURCES),
    "light": ("cases, calls and tickets: the traffic light of a running clock (红黄绿灯)", LIGHTS),
    "satisfaction": ("hotline tickets: the follow-up call's satisfaction (满意度)", SATISFACTIONS),
    "return_state": ("hotline tickets: 退单 state", RETURN_STATES),
    "extension_state": ("cases: extension request state (延期申请)", EXTENSION_STATES),
    "indicator_group": ("case indicators: group_by", INDICATOR_GROUPS),
    "case_source": ("case indicators: the source of a case", CASE_SOURCES),
    "bulletin_format": ("monthly bulletin: format", BULLETIN_FORMATS),
    "call_light": ("吹哨报到: the light of a call's sign-for and report clocks", CALL_LIGHTS),
}


def labels(entries: Entries) -> dict[str, str]:
    """value -> Chinese label (what the import reads in a cell)."""
    return {value: label for value, (label, _) in entries.items()}


def listed(entries: Entries) -> str:
    """``value 标签, value 标签, ...``: the values with their labels, for a field's description."""
    return ", ".join(f"{value} {label}" for value, (label, _) in entries.items())


def _by_values() -> dict[frozenset[str], dict[str, str]]:
    found: dict[frozenset[str], dict[str, str]] = {}
    for name, (_, entries) in VOCABULARIES.items():
        key, own = frozenset(entries), labels(entries)
        if found.setdefault(key, own) != own:
            raise ValueError(f"vocabulary {name} labels the values of another one differently")
    return found


BY_VALUES = _by_values()


def label_enums(node: object) -> None:
    """Give every enum of an OpenAPI document (in place) the Chinese labels of its values as
    ``x-enumDescriptions`` (value -> label, as Redoc shows them), from the vocabulary of the same values."""
    if isinstance(node, dict):
        values = node.get("enum")
        if isinstance(values, list) and (found := BY_VALUES.get(frozenset(map(str, values)))):
            node["x-enumDescriptions"] = {str(value): found[str(value)] for value in values}
        for value in node.values():
            label_enums(value)
    elif isinstance(node, list):
        for item in node:
            label_enums(item)
