"""The POI category scheme of the 15-minute life circle and how sources map onto it.

Pure data, shared by the sources (which categorise what they read) and the analysis.

The scheme follows Bruno et al., "A universal framework for inclusive 15-minute cities"
(Nature Cities 2024): nine categories of daily needs, plus elderly care, which Shanghai's
15-minute community life circle guide (2016) asks for within 500 m.

Sources and their mapping (first matching rule wins; unmatched rows are counted, never hidden):

========== ============================================== ===========================================
category   OpenStreetMap tags                             Amap type (data pack ``poi/*.csv``)
========== ============================================== ===========================================
outdoor    leisure=park/garden/playground, place=square   (none in the pack)
learning   amenity=kindergarten/school/childcare/college  科教文化服务;学校 (kindergarten to university)
supplies   shop=supermarket/convenience/greengrocer/...   购物服务;综合市场/超级市场/便民商店
eating     amenity=restaurant/cafe/fast_food/food_court   餐饮服务 (restaurants, cafés, bakeries)
moving     highway=bus_stop, railway=station/halt/...     公交车站, 地铁站
cultural   amenity=cinema/theatre/library/arts_centre/... 影剧院, 博物馆, 图书馆, 文化宫
physical   leisure=sports_centre/fitness_centre/pitch/... 运动场馆, 体育
services   amenity=bank/post_office/police/townhall       银行, 邮局, 政府机构 (none in the pack)
healthcare amenity=hospital/clinic/doctors/pharmacy/...   医疗保健服务 except 动物医疗场所 (pet clinics)
elderly    social_facility=nursing_home/assisted_living,   养老院, 老年 (none in the pack)
           social_facility:for=senior, amenity=nursing_home
========== ============================================== ===========================================
"""

from __future__ import annotations

from twin.i18n import N_

CATEGORIES: dict[str, str] = {
    "outdoor": N_("Parks and squares"),
    "learning": N_("Schools and kindergartens"),
    "supplies": N_("Daily shopping"),
    "eating": N_("Food and cafés"),
    "moving": N_("Public transport"),
    "cultural": N_("Culture"),
    "physical": N_("Sport"),
    "services": N_("Public services"),
    "healthcare": N_("Health care"),
    "elderly": N_("Elderly care"),
}

# OSM: (tag key, accepted values or None for any value, category), in priority order.
OSM_RULES: list[tuple[str, frozenset[str] | None, str]] = [
    ("social_facility", frozenset({"nursing_home", "assisted_living", "day_care"}), "elderly"),
    ("social_facility:for", frozenset({"senior", "elderly"}), "elderly"),
    ("amenity", frozenset({"nursing_home"}), "elderly"),
    ("amenity", frozenset({"hospital", "clinic", "doctors", "pharmacy", "dentist"}), "healthcare"),
    ("healthcare", None, "healthcare"),
    ("amenity", frozenset({"kindergarten", "school", "childcare", "college", "university"}),
     "learning"),
    ("amenity", frozenset({"restaurant", "cafe", "fast_food", "food_court"}), "eating"),
    ("shop", frozenset({"supermarket", "convenience", "greengrocer", "butcher", "bakery",
                        "general", "department_store", "mall", "seafood", "deli"}), "supplies"),
    ("amenity", frozenset({"marketplace"}), "supplies"),
    ("highway", frozenset({"bus_stop"}), "moving"),
    ("railway", frozenset({"station", "halt", "subway_entrance", "tram_stop"}), "moving"),
    ("public_transport", frozenset({"station"}), "moving"),
    ("amenity", frozenset({"cinema", "theatre", "library", "arts_centre", "community_centre"}),
     "cultural"),
    ("tourism", frozenset({"museum", "gallery"}), "cultural"),
    ("leisure", frozenset({"sports_centre", "fitness_centre", "pitch", "stadium",
                           "swimming_pool", "fitness_station", "track"}), "physical"),
    ("leisure", frozenset({"park", "garden", "playground", "nature_reserve"}), "outdoor"),
    ("place", frozenset({"square"}), "outdoor"),
    ("amenity", frozenset({"bank", "post_office", "police", "townhall"}), "services"),
    ("amenity", frozenset({"parking", "fuel", "charging_station"}), "parking"),
]  # fmt: skip
# parking, fuel and charging stations are kept as "parking": charging candidates, never counted
# in the life circle.
OSM_TAGS: dict[str, bool | str | list[str]] = {}


def _listed(key: str) -> set[str]:
    values = OSM_TAGS.get(key)
    return set(values) if isinstance(values, list) else set()


for _key, _values, _cat in OSM_RULES:
    OSM_TAGS[_key] = True if _values is None else sorted(_listed(_key) | _values)

# Amap: (substring of the type path, category or None to exclude), in priority order.
AMAP_RULES: list[tuple[str, str | None]] = [
    ("动物医疗场所", None),
    ("医疗保健服务", "healthcare"),
    ("养老", "elderly"),
    ("公交车站", "moving"),
    ("地铁站", "moving"),
    ("学校", "learning"),
    ("餐饮服务", "eating"),
    ("综合市场", "supplies"),
    ("超级市场", "supplies"),
    ("便民商店", "supplies"),
    ("影剧院", "cultural"),
    ("博物馆", "cultural"),
    ("图书馆", "cultural"),
    ("运动场馆", "physical"),
    ("公园广场", "outdoor"),
    ("银行", "services"),
    ("邮局", "services"),
]

# The facility types of the national standard GB 50180-2018 (as used by Shanghai's 15-minute
# community life circle guide), for the life-circle checklist; their levels and distances are
# norms (data/norms.toml [[life_circle.facility]]). A POI maps to at most one facility.
#
# Amap (data pack): (file stem, field, substring or None, facility), first match wins.
AMAP_FACILITY_RULES: list[tuple[str, str, str | None, str]] = [
    ("kindergarten", "type", None, "kindergarten"),
    ("primary_school", "type", None, "primary_school"),
    ("middle_school", "type", None, "middle_school"),
    ("bus_stop", "type", None, "bus_stop"),
    ("metro_station", "type", None, "metro_station"),
    ("hospital", "name", "社区卫生服务中心", "health_centre"),
    ("hospital", "type", "卫生院", "health_centre"),
    ("hospital", "name", "卫生服务站", "health_station"),
    ("hospital", "name", "卫生室", "health_station"),
    ("hospital", "type", "诊所", "health_station"),
    ("hospital", "type", "综合医院", "hospital"),
    ("hospital", "type", "专科医院", "hospital"),
    ("food", "type", None, "food"),
    ("hotpot", "type", None, "food"),
]
# OSM: (tag key, accepted values, facility), first match wins.
OSM_FACILITY_RULES: list[tuple[str, frozenset[str], str]] = [
    ("social_facility", frozenset({"day_care"}), "elderly_day_care"),
    ("social_facility", frozenset({"nursing_home", "assisted_living"}), "elderly_home"),
    ("amenity", frozenset({"nursing_home"}), "elderly_home"),
    ("amenity", frozenset({"kindergarten", "childcare"}), "kindergarten"),
    ("amenity", frozenset({"clinic", "doctors"}), "health_station"),
    ("healthcare", frozenset({"centre"}), "health_centre"),
    ("amenity", frozenset({"hospital"}), "hospital"),
    ("shop", frozenset({"convenience"}), "convenience_shop"),
    ("shop", frozenset({"supermarket", "greengrocer"}), "fresh_market"),
    ("amenity", frozenset({"marketplace"}), "fresh_market"),
    ("highway", frozenset({"bus_stop"}), "bus_stop"),
    ("station", frozenset({"subway"}), "metro_station"),
    ("railway", frozenset({"subway_entrance"}), "metro_station"),
    ("leisure", frozenset({"sports_centre", "pitch", "stadium", "fitness_centre", "track"}),
     "sports_ground"),
    ("amenity", frozenset({"restaurant", "cafe", "fast_food", "food_court"}), "food"),
]  # fmt: skip
for _key, _values, _facility in OSM_FACILITY_RULES:  # fetch the standard's facility tags too
    if OSM_TAGS.get(_key) is not True:
        OSM_TAGS[_key] = sorted(_listed(_key) | _values)
