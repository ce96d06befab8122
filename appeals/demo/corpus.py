"""The words of the demo data (appeals.demo): places, names, units, proportions,
paces, appeal templates and lifecycle texts. Data only; appeals.demo.cast builds
the enterprises and staff from it and appeals.demo.paths writes with it.

Everything here is invented for demonstrations: company names are random
combinations of common words (any likeness to a real firm is coincidence),
people's names are random surname + given-name pairs. The wording of appeals
follows the seeds in /work/shared/seeds (Suzhou, Kunshan, Zhangjiagang).
"""

from __future__ import annotations

from appeals.domain.values import Category, Channel, Outcome, Priority, Satisfaction

# ---- places: (city in names, USCC area codes, share of enterprises, parks) ----

CITIES: tuple[tuple[str, tuple[str, ...], int, tuple[str, ...]], ...] = (
    (
        "苏州",
        ("320505", "320506", "320507", "320508", "320509"),
        40,
        (
            "苏州工业园区",
            "苏州高新区",
            "吴中经济技术开发区",
            "相城经济技术开发区",
            "吴江经济技术开发区",
        ),
    ),
    (
        "昆山",
        ("320583",),
        35,
        (
            "昆山开发区",
            "昆山高新区",
            "花桥经济开发区",
            "周市镇",
            "张浦镇",
            "千灯镇",
            "陆家镇",
            "巴城镇",
        ),
    ),
    (
        "张家港",
        ("320582",),
        25,
        (
            "张家港保税区",
            "张家港经济技术开发区",
            "杨舍镇",
            "锦丰镇",
            "塘桥镇",
            "凤凰镇",
            "乐余镇",
            "金港街道",
        ),
    ),
)
KUNSHAN = "昆山"
KUNSHAN_LISTS = ("重点核心企业", "快速成长企业", "新增长点企业", "显著下滑企业")

# ---- company names: city + brand (two syllables) + industry + legal form ----

BRAND_FIRST = tuple("瑞恒华鑫德永昌宏嘉盛新协博汇铭晟润锦亿凯美佳远信诚泓璟澜翊")
BRAND_SECOND = tuple("丰泰达源辉科隆峰创航拓越川禾启竣曜弘栩淳澄驰")
# (word in the company name, what the company makes, for descriptions)
INDUSTRIES = (
    ("精密机械", "精密零部件加工"),
    ("电子科技", "电子元器件"),
    ("新材料科技", "高分子新材料"),
    ("纺织", "纺织面料"),
    ("生物医药科技", "生物医药研发"),
    ("汽车零部件", "汽车零部件"),
    ("光电科技", "光电显示模组"),
    ("智能装备", "自动化生产线"),
    ("化纤", "涤纶长丝"),
    ("食品", "烘焙食品"),
    ("供应链管理", "跨境物流"),
    ("金属制品", "不锈钢制品"),
    ("模具", "精密模具"),
    ("包装材料", "环保包装"),
    ("医疗器械", "二类医疗器械"),
    ("半导体", "半导体封装测试"),
    ("环保科技", "废水处理设备"),
    ("冶金", "特种钢材"),
    ("粮油", "食用油加工"),
)
LEGAL_FORMS = ("有限公司", "有限公司", "有限公司", "股份有限公司")

# ---- people ----------------------------------------------------------------

SURNAMES = tuple(
    "王李张刘陈杨黄赵吴周徐孙朱马胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘"
    "蒋蔡余杜叶程魏吕丁沈任姚卢姜崔钟谭陆汪范金石廖贾夏韦方邹孟熊秦邱江尹薛顾钱"
)
GIVEN = tuple(
    "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚英华建志文斌辉鹏宇浩晨玲琳雪梅婷"
    "红亮飞俊峰波燕蕾晓丹瑜彬凯翔健琪欣悦振国雯佳怡慧"
)
HONORIFICS = ("经理", "总", "主管", "女士", "先生", "部长")

# ---- responsible units: (name, id code, pace: >1 is systematically slower) ----

UNITS: tuple[tuple[str, str, float], ...] = (
    ("市人社局", "rsj", 1.0),
    ("市税务局", "swj", 0.8),
    ("市自然资源和规划局", "zgj", 2.2),
    ("市市场监管局", "scjgj", 1.0),
    ("市生态环境局", "sthjj", 1.5),
    ("市住建局", "zjj", 1.7),
    ("市发改委", "fgw", 1.3),
    ("市工信局", "gxj", 1.0),
    ("市商务局", "swuj", 1.1),
    ("市供电公司", "gdgs", 0.6),
    ("市水务集团", "swjt", 0.9),
    ("苏州海关", "hg", 0.7),
    ("市地方金融管理局", "jrj", 1.2),
    ("市行政审批局", "spj", 0.8),
    ("市教育局", "jyj", 1.2),
    ("市司法局", "sfj", 1.4),
)

# Which units handle which category, with weights.
CATEGORY_UNITS: dict[Category, tuple[tuple[str, int], ...]] = {
    Category.FINANCING: (("市地方金融管理局", 3), ("市工信局", 1), ("市发改委", 1)),
    Category.LABOUR: (("市人社局", 1),),
    Category.LAND: (("市自然资源和规划局", 3), ("市住建局", 1)),
    Category.PERMITS: (("市行政审批局", 3), ("市市场监管局", 2), ("市住建局", 2)),
    Category.POLICY: (("市工信局", 3), ("市发改委", 2), ("市商务局", 1)),
    Category.TAX: (("市税务局", 1),),
    Category.CUSTOMS: (("苏州海关", 3), ("市商务局", 1)),
    Category.UTILITIES: (("市供电公司", 3), ("市水务集团", 2)),
    Category.IP: (("市市场监管局", 1),),
    Category.TALENT: (("市人社局", 2), ("市教育局", 2)),
    Category.ENVIRONMENT: (("市生态环境局", 3), ("市住建局", 1)),
    Category.LEGAL: (("市司法局", 2), ("市人社局", 1)),
    Category.OTHER: (("市住建局", 1), ("市发改委", 1)),
}
CATEGORY_WEIGHTS: dict[Category, int] = {
    Category.FINANCING: 14,
    Category.LABOUR: 13,
    Category.LAND: 8,
    Category.PERMITS: 11,
    Category.POLICY: 12,
    Category.TAX: 8,
    Category.CUSTOMS: 5,
    Category.UTILITIES: 8,
    Category.IP: 3,
    Category.TALENT: 6,
    Category.ENVIRONMENT: 5,
    Category.LEGAL: 4,
    Category.OTHER: 3,
}
CHANNEL_WEIGHTS: dict[Channel, int] = {
    Channel.HOTLINE: 45,
    Channel.PORTAL: 20,
    Channel.VISIT: 10,
    Channel.WECHAT: 9,
    Channel.SALON: 6,
    Channel.WINDOW: 5,
    Channel.LETTER: 5,
}
# (normal, urgent, complex) weights; categories not listed use DEFAULT.
PRIORITY_WEIGHTS: dict[Category, tuple[int, int, int]] = {
    Category.UTILITIES: (70, 25, 5),
    Category.CUSTOMS: (72, 20, 8),
    Category.LAND: (65, 3, 32),
    Category.LEGAL: (70, 5, 25),
    Category.ENVIRONMENT: (72, 8, 20),
}
DEFAULT_PRIORITY_WEIGHTS = (84, 6, 10)

# ---- the mix: proportions and paces --------------------------------------

# Median working hours from acceptance to resolution, before unit/cadre pace.
RESOLVE_HOURS = {Priority.NORMAL: 10.0, Priority.URGENT: 2.5, Priority.COMPLEX: 42.0}
# Resolve limits in working days (docs/domain.md defaults), for extension requests.
OUTCOMES = {Outcome.RESOLVED: 70, Outcome.EXPLAINED: 20, Outcome.PARTIAL: 10}
SATISFIED = {Satisfaction.SATISFIED: 75, Satisfaction.BASIC: 25}
# Paths of appeals that are not left open (see appeals.demo.paths.PATHS), in %.
CLOSING_WEIGHTS = {
    "straight": 42.0,
    "on_the_spot": 5.0,
    "returned": 7.0,
    "paused": 8.0,
    "extension_approved": 4.0,
    "extension_refused": 2.0,
    "supervised": 6.0,
    "reopened": 6.0,
    "referred": 1.5,
    "supervisor_reopen": 2.5,
    "withdrawn": 4.0,
    "merged": 3.0,
}

# Appeals left open, by status reached: (weight if younger than `days`, days,
# weight if older). Young appeals are mostly not yet dispatched or accepted.
OPEN_WEIGHTS = {
    "open_received": (4.0, 2, 0.2),
    "open_assigned": (3.0, 5, 0.4),
    "open_in_progress": (4.0, 0, 4.0),
    "open_paused": (1.2, 0, 1.2),
    "open_resolved": (0.2, 1, 1.0),
    "open_replied": (0.1, 2, 1.2),
    "open_evaluated": (0.1, 3, 0.8),
}


# ---- appeal templates: (title, problem, ask, result) -----------------------
# Slots: park amount n months weeks days bank product mu area kva

TEMPLATES: dict[Category, tuple[tuple[str, str, str, str], ...]] = {
    Category.FINANCING: (
        (
            "流动资金贷款{amount}万元审批进展缓慢",
            "企业向{bank}申请流动资金贷款{amount}万元，材料已提交{weeks}周仍无审批结果，原材料采购资金周转紧张",
            "希望协调银行加快审批，或推荐政府性融资担保产品",
            "已会同{bank}上门对接，贷款已进入终审，预计两周内放款；同时推荐“苏科贷”产品备选",
        ),
        (
            "科技贷款贴息资金迟迟未到账",
            "企业去年获批科技贷款贴息，公示结束已{months}个月，贴息资金仍未拨付",
            "请告知拨付进度和到账时间",
            "经核实，贴息资金已纳入本批次拨付计划，财政部门审核完毕，本月内拨付到账",
        ),
        (
            "到期贷款被要求压降，申请无还本续贷",
            "受订单波动影响，{bank}拟对企业到期贷款{amount}万元压降三成，企业担心资金链断裂",
            "请求协调银行办理无还本续贷",
            "经协调，{bank}同意按原额度办理无还本续贷，双方已签订续贷协议",
        ),
        (
            "咨询应收账款融资渠道",
            "企业对下游整机厂应收账款约{amount}万元，账期长达{months}个月",
            "希望了解供应链金融和应收账款质押融资产品",
            "已推送供应链金融政策清单，并组织两家银行上门对接，企业已提交授信申请",
        ),
    ),
    Category.LABOUR: (
        (
            "订单旺季招工难，急需普工{n}名",
            "企业新接出口订单，生产线满负荷运转，目前缺少普工约{n}人",
            "希望协助发布招聘信息，对接劳务协作基地",
            "已将岗位纳入线上招聘会和“家门口就业”平台推送，并对接劳务协作基地，首批人员已到岗",
        ),
        (
            "稳岗返还资金未纳入名单",
            "企业符合稳岗返还条件，但公示名单中没有本企业",
            "请核实原因并指导申领",
            "经核查，系企业社保缴费数据未及时同步，已补录，企业可在下一批次申领",
        ),
        (
            "外省员工社保关系转移办理受阻",
            "企业{n}名外省籍员工社保关系转入已超过{weeks}周仍未办结，影响员工医保报销",
            "请协调加快转移接续",
            "已与转出地经办机构联系，转移接续手续已全部办结，并告知企业今后可网上办理",
        ),
        (
            "技能人才培训补贴申报咨询",
            "企业今年组织{n}名一线员工参加技能等级认定培训",
            "咨询培训补贴标准、申报时间和所需材料",
            "已向企业详细解读补贴政策并指导完成线上申报",
        ),
    ),
    Category.LAND: (
        (
            "扩产项目用地指标落实",
            "企业计划扩大{product}产能，需新增工业用地约{mu}亩",
            "请协调用地指标和供地时间安排",
            "已将项目纳入年度用地保障清单，地块拟于下季度挂牌出让",
        ),
        (
            "急需租赁标准厂房约{area}平方米",
            "企业订单增长，现有厂房不足，需在{park}租赁约{area}平方米标准厂房",
            "希望帮助对接园区载体资源",
            "已推荐三处可租赁标准厂房，企业已完成实地踏勘并确定意向",
        ),
        (
            "工业用地不动产权证迟迟未办下来",
            "企业项目已竣工验收{months}个月，不动产权证仍未办理",
            "请协调加快办证",
            "经协调自然资源、住建等部门并联办理，不动产权证已发放",
        ),
        (
            "厂房加层改造规划审批咨询",
            "企业拟对现有厂房加层改造以提高容积率",
            "咨询规划调整和审批流程",
            "已组织规划部门上门服务，明确了容积率调整政策和办理路径",
        ),
    ),
    Category.PERMITS: (
        (
            "新建厂房施工许可办理咨询",
            "企业新建厂房项目已取得规划许可，准备开工",
            "咨询施工许可办理材料，希望实现“拿地即开工”",
            "已指导企业通过工程建设项目审批管理系统并联申报，施工许可已核发",
        ),
        (
            "食品生产许可证延续办理",
            "企业食品生产许可证将于{months}个月后到期",
            "咨询延续办理流程，能否“不见面审批”",
            "已指导企业网上申请延续，材料审核通过，新证已邮寄送达",
        ),
        (
            "医疗器械经营备案材料多次被退回",
            "企业提交第二类医疗器械经营备案材料后被退回{n2}次，每次退回意见不一致",
            "希望一次性告知需要补正的全部材料",
            "已一次性告知补正清单并安排专人帮办，备案已完成",
        ),
        (
            "消防验收排期过长",
            "企业厂房改造项目已完工{weeks}周，消防验收仍在排队",
            "请协调尽快安排验收",
            "已安排联合验收，消防验收已通过",
        ),
    ),
    Category.POLICY: (
        (
            "设备更新补贴政策申报咨询",
            "企业今年计划投入约{amount}万元更新智能化设备",
            "咨询设备更新和智能化改造补贴的申报条件与时间",
            "已由专人解读政策并指导企业准备申报材料，企业已纳入项目储备库",
        ),
        (
            "专精特新中小企业认定咨询",
            "企业深耕{product}领域多年，拥有多项发明专利",
            "咨询专精特新中小企业认定条件和培育政策",
            "已对照认定标准开展诊断，并将企业纳入专精特新培育库",
        ),
        (
            "高质量发展奖补资金兑现进度",
            "企业去年获评高质量发展奖补，资金已{months}个月未兑现",
            "请告知兑现进度",
            "经核实，奖补资金已完成审核，将随本批次统一拨付",
        ),
    ),
    Category.TAX: (
        (
            "出口退税到账时间咨询",
            "企业上月申报出口退税约{amount}万元，至今未到账",
            "请告知审核进度",
            "经核查，退税申报已审核通过，税款已退至企业账户",
        ),
        (
            "研发费用加计扣除政策适用",
            "企业研发投入较大，对委托研发费用能否加计扣除有疑问",
            "请税务部门给予政策辅导",
            "已安排税务专管员上门辅导，明确委托研发费用的归集口径",
        ),
        (
            "增值税留抵退税申请进度",
            "企业提交增值税留抵退税申请已{weeks}周",
            "请协调加快审核",
            "留抵退税已审核完毕并退库到账",
        ),
    ),
    Category.CUSTOMS: (
        (
            "进口原料通关时间过长",
            "企业进口的一批生产原料在港口滞留{days}天，影响生产排期",
            "请协调加快查验放行",
            "已安排优先查验，货物已于次日放行",
        ),
        (
            "AEO高级认证辅导需求",
            "企业出口额逐年增长，希望申请海关AEO高级认证",
            "请提供认证标准解读和辅导",
            "海关已安排专人上门开展认证辅导，企业已提交认证申请",
        ),
        (
            "出口货物查验率偏高",
            "企业近{months}个月出口报关查验率明显偏高，增加了物流成本",
            "请帮助分析原因",
            "已帮助企业梳理申报规范，完善归类和申报要素，查验率已回落",
        ),
    ),
    Category.UTILITIES: (
        (
            "新建产线用电增容申请",
            "企业新上生产线，需将用电容量增至{kva}千伏安",
            "请加快增容报装",
            "已完成现场勘查和供电方案答复，增容工程已送电",
        ),
        (
            "厂区所在线路频繁停电",
            "近{months}个月厂区所在线路停电{n2}次，每次造成产线停机和产品报废",
            "请排查线路故障，减少停电",
            "已完成线路检修和设备更换，并为企业制定双电源改造方案",
        ),
        (
            "天然气接入报装进度慢",
            "企业提交天然气报装申请已{weeks}周，管道接入仍未施工",
            "请协调尽快接入",
            "已协调施工队进场，管道已接通并通气",
        ),
        (
            "供水管网水压不足影响生产",
            "厂区高峰时段水压明显不足，影响冷却系统运行",
            "请排查管网",
            "已完成管网排查并更换减压阀，水压恢复正常",
        ),
    ),
    Category.IP: (
        (
            "产品外观专利被仿冒",
            "企业主打产品的外观专利在电商平台被大量仿冒",
            "请协助维权和调查取证",
            "已指导企业固定证据并向平台投诉，侵权链接已下架，同时提供维权援助",
        ),
        (
            "专利质押融资咨询",
            "企业拥有发明专利{n2}项，希望盘活知识产权",
            "咨询专利质押融资办理流程",
            "已对接知识产权质押融资合作银行，企业已完成专利价值评估",
        ),
        (
            "商标被抢注提出异议",
            "企业在用商标被他人抢先申请注册",
            "请提供异议申请指导",
            "已安排知识产权服务机构指导企业提交商标异议申请",
        ),
    ),
    Category.TALENT: (
        (
            "引进人才子女就近入学协调",
            "企业引进的研发骨干随迁子女需在{park}就近入读小学",
            "请协调入学安排",
            "已按人才子女入学政策办理，子女已安排在就近学校入学",
        ),
        (
            "人才公寓申请",
            "企业新引进{n2}名硕士以上人才，住房需求迫切",
            "咨询人才公寓申请条件",
            "已指导企业完成人才公寓申请，首批人才已入住",
        ),
        (
            "外籍专家工作许可延期",
            "企业外籍技术专家工作许可将于{weeks}周后到期",
            "请协助加快延期办理",
            "已开通绿色通道，工作许可延期已办结",
        ),
    ),
    Category.ENVIRONMENT: (
        (
            "技改项目环评批复进度",
            "企业扩产技改项目环评报告已提交{weeks}周，尚未批复",
            "请协调加快审批",
            "环评审批已完成，批复文件已送达企业",
        ),
        (
            "厂区绿化整改要求咨询",
            "企业收到绿化整改通知，要求{weeks}周内完成厂区绿化补植",
            "希望明确整改标准并适当延长整改期限",
            "已上门明确整改标准，整改期限按实际情况顺延，企业已完成补植",
        ),
        (
            "VOCs治理设施验收",
            "企业已完成VOCs治理设施升级改造",
            "申请尽快组织验收",
            "已组织现场核查，治理设施运行正常，验收通过",
        ),
    ),
    Category.LEGAL: (
        (
            "下游客户拖欠货款纠纷调解",
            "下游客户拖欠货款约{amount}万元已逾期{months}个月，多次催收无果",
            "希望通过商会或调解组织协调",
            "经商事调解委员会组织调解，双方已达成分期还款协议",
        ),
        (
            "厂房租赁合同纠纷",
            "出租方拟提前收回厂房，企业面临停产搬迁",
            "请求法律援助和协调",
            "已提供法律咨询并组织双方协商，租赁合同继续履行至期满",
        ),
        (
            "劳动争议处理咨询",
            "企业与{n2}名离职员工就经济补偿产生争议",
            "咨询处理流程和法律依据",
            "已由劳动争议调解员上门指导，争议已调解结案",
        ),
    ),
    Category.OTHER: (
        (
            "厂区周边道路破损影响货车通行",
            "{park}厂区门前道路破损严重，重载货车通行困难",
            "请尽快修复",
            "道路修复工程已完成，通行恢复正常",
        ),
        (
            "申请公交线路延伸方便员工通勤",
            "企业员工约{n}人，附近没有公交站点，员工通勤不便",
            "希望增设站点或延伸线路",
            "已调整公交线路走向，在企业附近增设站点",
        ),
        (
            "园区路灯长期不亮",
            "{park}企业周边路灯已{weeks}周不亮，夜班员工出行存在安全隐患",
            "请尽快维修",
            "路灯已全部修复",
        ),
    ),
}
BANKS = (
    "工商银行",
    "农业银行",
    "中国银行",
    "建设银行",
    "交通银行",
    "江苏银行",
    "苏州银行",
    "农商银行",
)

# ---- lifecycle texts --------------------------------------------------------

FIRST_CONTACT_NOTES = (
    "已电话联系企业，了解诉求详情",
    "已与企业联系人取得联系，约定上门时间",
    "已致电企业负责人，告知办理流程和时限",
)

PROGRESS_NOTES = (
    "已电话联系企业负责人了解详细情况",
    "已安排专人上门走访，现场查看情况",
    "已召集相关科室会商，形成初步处理意见",
    "已与相关单位协调对接，正在推进",
    "已向分管领导汇报，拟提交专题会议研究",
    "已完成材料初审，进入内部审批流程",
)
PAUSE_REASONS = (
    "请企业补充近三年财务报表及纳税证明",
    "请企业补充项目可行性研究报告",
    "请企业补充劳动合同及社保缴纳清单",
    "企业提交的材料缺少法定代表人签章，请补正",
    "请企业提供相关合同原件及往来凭证",
    "请企业补充不动产权属证明材料",
)
RESUME_NOTES = (
    "企业已补齐材料，恢复办理",
    "已收到企业补充材料，经核对完整",
    "企业已通过苏服办上传补正材料",
)
RETURN_REASONS = (
    "该事项不属于本单位职责范围，建议转{unit}办理",
    "诉求涉及{unit}审批事项，请重新派单",
    "经核实属{unit}职能，退回重新交办",
)
EXTENSION_REASONS = (
    "涉及多部门联合会办，需延长办理时限",
    "需提请市政府专题会议研究",
    "需等待上级主管部门批复",
    "涉及现场踏勘和第三方评估，所需时间较长",
)
EXTENSION_APPROVED = ("同意延期，请按新时限办结", "情况属实，准予延期")
EXTENSION_REFUSED = (
    "不予延期，请加快办理，按原时限办结",
    "理由不充分，请在原时限内办结",
)
SUPERVISION_NOTES: dict[int, tuple[str, ...]] = {
    1: ("该诉求已超期，请抓紧办理并尽快答复企业", "请加快办理进度（催办）"),
    2: ("二次督办：请分管领导亲自协调，三个工作日内报送办理情况",),
    3: ("通报督办：多次催办未果，列入全市督查通报",),
}
GOOD_COMMENTS = (
    "办理及时，非常满意",
    "工作人员很负责，感谢",
    "问题基本解决，希望后续继续跟进",
    "答复清楚，满意",
    "",
)
UNSATISFIED_COMMENTS = (
    "问题没有实际解决，只是电话解释了一下",
    "答复内容与诉求不符，希望重新办理",
    "承诺的时间已过仍未落实",
    "办理结果不满意，希望领导重视",
)
SUPERVISOR_REOPEN_REASONS = (
    "回访抽查发现办理结果未落实，责成重办",
    "办结材料不完整，答复过于简单，要求重办",
)
WITHDRAW_REASONS = (
    "企业已自行解决，申请撤回",
    "企业经营计划调整，不再需要办理",
    "企业表示问题已通过其他渠道解决",
)
MERGE_REASON = "与工单{ticket}反映同一问题，合并办理"
CLOSE_NOTES = ("已回访，对账销号", "办理结果经企业确认，销号", "对账完成")
REFERRED_CLOSE_NOTES = (
    "经督查室研究，已作最终答复，予以销号",
    "多次重办企业仍不满意，经分管领导审定作结案处理",
)
REPLY_PREFIX: dict[Channel, str] = {
    Channel.HOTLINE: "已电话回复企业联系人：",
    Channel.PORTAL: "已通过一网通办平台答复：",
    Channel.WECHAT: "已在企业服务群内答复：",
}
DEFAULT_REPLY_PREFIX = "已当面告知企业："
PARTIAL_RESULT = "目前已协调解决部分问题，其余事项将持续跟进"
EXPLAINED_RESULT = "已向企业解释相关政策规定和办理条件"


# 协办: what a co-handling unit reports of its part, and why a supervisor waives one.
PART_REPORTS = (
    "本单位职责范围内事项已核实办理，相关材料已移交主办单位。",
    "已按会商意见完成本单位配合事项，无异议。",
    "经核查，本单位涉及部分已处理完毕，请主办单位统一答复企业。",
)
WAIVER_REASONS = (
    "经核实不涉及该单位职责，免于协办。",
    "该事项已由主办单位一并办理，协办单位无需另行反馈。",
)
