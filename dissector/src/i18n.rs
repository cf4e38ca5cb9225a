//! The translation table: every field, protocol and note of the registries in Chinese, and the words the
//! renderers write around them.
//!
//! English is the registries themselves ([`crate::fields`], [`crate::notes`]); this table adds one row for each
//! of their rows, keyed by the same identifier, so a field added to the registry needs one row here too (a
//! test names any row missing). Value names (`Echo (ping) request`) and the fixed words layers put into values
//! and note arguments (`good`, `IPv4 header`) are keyed by their English text. A lookup that finds nothing
//! falls back to English, so a missing row degrades to English rather than to nothing.

use std::sync::OnceLock;

use crate::fields::{FIELDS, FieldId};
use crate::notes::{NOTES, NoteCode, Severity};

/// The language of names, meanings and notes in rendered output.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
pub enum Lang {
    #[default]
    En,
    /// Simplified Chinese.
    Zh,
}

impl Lang {
    /// The language tag HTML declares (`lang="zh-CN"`).
    pub fn html_tag(self) -> &'static str {
        match self {
            Lang::En => "en",
            Lang::Zh => "zh-CN",
        }
    }
}

/// The display name of a field or protocol.
pub fn field_name(id: FieldId, lang: Lang) -> &'static str {
    match lang {
        Lang::En => id.def().name,
        Lang::Zh => zh_field(id).map_or(id.def().name, |(name, _)| name),
    }
}

/// The one-sentence meaning of a field (empty when the registry has none).
pub fn field_blurb(id: FieldId, lang: Lang) -> &'static str {
    match lang {
        Lang::En => id.def().blurb,
        Lang::Zh => match zh_field(id) {
            Some((_, blurb)) if !blurb.is_empty() || id.def().blurb.is_empty() => blurb,
            _ => id.def().blurb,
        },
    }
}

/// The message template of a note (`{0}`..`{2}` stand for its values, as in [`crate::notes`]).
pub fn note_template(code: NoteCode, lang: Lang) -> &'static str {
    match lang {
        Lang::En => code.def().template,
        Lang::Zh => zh_note(code).map_or(code.def().template, |(t, _)| t),
    }
}

/// What to do about a note (empty when nothing is to be done).
pub fn note_advice(code: NoteCode, lang: Lang) -> &'static str {
    match lang {
        Lang::En => code.def().advice,
        Lang::Zh => zh_note(code).map_or(code.def().advice, |(_, a)| a),
    }
}

/// The name of a severity.
pub fn severity(severity: Severity, lang: Lang) -> &'static str {
    match (lang, severity) {
        (Lang::En, s) => s.name(),
        (Lang::Zh, Severity::Chat) => "提示",
        (Lang::Zh, Severity::Note) => "注意",
        (Lang::Zh, Severity::Warning) => "警告",
        (Lang::Zh, Severity::Error) => "错误",
    }
}

/// A value name of the registry (`Echo (ping) request`) or a fixed word a layer writes into a value or a note
/// argument (`good`, `IPv4 header`), in `lang`; unknown text is returned as it is.
pub fn text(english: &str, lang: Lang) -> &str {
    match lang {
        Lang::En => english,
        Lang::Zh => ZH_TEXT
            .iter()
            .find(|(en, _)| *en == english)
            .map_or(english, |(_, zh)| zh),
    }
}

/// The short name of a protocol (`IPv4`, `Ethernet` / `以太网`), as a picture labels its box.
pub fn protocol_short(id: FieldId, lang: Lang) -> &'static str {
    let short = id.def().short;
    if short.is_empty() {
        return field_name(id, lang);
    }
    text(short, lang)
}

/// Words the renderers write around fields and notes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Phrase {
    Frame,
    Bytes,
    Byte,
    LinkType,
    Notes,
    WhatToDo,
    Offset,
    BytesColumn,
    Field,
    Value,
    Meaning,
    Computed,
    NotDecoded,
    Legend,
    HoverHint,
    Title,
    True,
    False,
    OuterLink,
    OuterNet,
    OuterTransport,
    Link,
    Net,
    Transport,
    Tunnel,
    InnerLink,
    InnerNet,
    InnerTransport,
    Payload,
    Padding,
    OtherHeaders,
    /// Before the short name of a protocol of the outer frame in a picture: `Outer IPv4`.
    OuterPrefix,
    /// Before the short name of a protocol of an encapsulated frame: `Inner IPv4`.
    InnerPrefix,
    /// Before the short name of a protocol of a packet quoted by an ICMP error: `Quoted IPv4`.
    QuotedPrefix,
    /// Before the short name of a protocol of the frame a quoted packet's tunnel header carries.
    QuotedInnerPrefix,
    /// The heading of the zoomed row of a picture: the tunnel header bit by bit.
    HeaderBits,
    /// Over the boxes of the frame a tunnel header carries.
    EncapsulatedFrame,
    /// Between a name and what follows it: `Frame 1: …`.
    Colon,
    /// Between the items of a list.
    Comma,
}

/// The words of one [`Phrase`].
pub fn phrase(phrase: Phrase, lang: Lang) -> &'static str {
    use Phrase as P;
    let (en, zh) = match phrase {
        P::Frame => ("Frame", "帧"),
        P::Bytes => ("bytes", "字节"),
        P::Byte => ("byte", "字节"),
        P::LinkType => ("link type", "链路类型"),
        P::Notes => ("Notes", "诊断信息"),
        P::WhatToDo => ("what to do", "怎么办"),
        P::Offset => ("Offset", "偏移"),
        P::BytesColumn => ("Bytes", "字节"),
        P::Field => ("Field", "字段"),
        P::Value => ("Value", "值"),
        P::Meaning => ("Meaning", "含义"),
        P::Computed => ("computed", "计算所得"),
        P::NotDecoded => ("Not decoded", "未解码"),
        P::Legend => ("Legend", "图例"),
        P::HoverHint => (
            "Point at a byte to see its field and value.",
            "将鼠标指向某个字节，查看它所属的字段和值。",
        ),
        P::Title => ("vxscope hex dump", "vxscope 十六进制转储"),
        P::True => ("true", "是"),
        P::False => ("false", "否"),
        P::OuterLink => ("Outer Ethernet", "外层以太网"),
        P::OuterNet => ("Outer IP", "外层 IP"),
        P::OuterTransport => ("Outer UDP / L4", "外层 UDP/四层"),
        P::Link => ("Ethernet", "以太网"),
        P::Net => ("IP", "IP"),
        P::Transport => ("L4 (UDP, TCP, ICMP)", "四层(UDP、TCP、ICMP)"),
        P::Tunnel => ("VXLAN", "VXLAN"),
        P::InnerLink => ("Inner Ethernet", "内层以太网"),
        P::InnerNet => ("Inner IP", "内层 IP"),
        P::InnerTransport => ("Inner L4 (ICMP, TCP, UDP)", "内层四层(ICMP、TCP、UDP)"),
        P::Payload => ("Payload", "载荷"),
        P::Padding => ("Padding", "填充"),
        P::OtherHeaders => ("Other headers", "其他首部"),
        P::OuterPrefix => ("Outer ", "外层"),
        P::InnerPrefix => ("Inner ", "内层"),
        P::QuotedPrefix => ("Quoted ", "被引用的"),
        P::QuotedInnerPrefix => ("Quoted inner ", "被引用的内层"),
        P::HeaderBits => (
            "bit by bit, as RFC 7348 draws it",
            "逐位展开，按 RFC 7348 的画法",
        ),
        P::EncapsulatedFrame => ("the frame it carries", "它承载的内层帧"),
        P::Colon => (": ", "："),
        P::Comma => (", ", "，"),
    };
    match lang {
        Lang::En => en,
        Lang::Zh => zh,
    }
}

fn zh_field(id: FieldId) -> Option<(&'static str, &'static str)> {
    static INDEX: OnceLock<Vec<Option<(&'static str, &'static str)>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = vec![None; FIELDS.len()];
        for &(id, name, blurb) in ZH_FIELDS {
            index[id.index()] = Some((name, blurb));
        }
        index
    })[id.index()]
}

fn zh_note(code: NoteCode) -> Option<(&'static str, &'static str)> {
    static INDEX: OnceLock<Vec<Option<(&'static str, &'static str)>>> = OnceLock::new();
    INDEX.get_or_init(|| {
        let mut index = vec![None; NOTES.len()];
        for &(code, template, advice) in ZH_NOTES {
            index[code as usize] = Some((template, advice));
        }
        index
    })[code as usize]
}

use FieldId as F;

/// Chinese name and meaning of every field and protocol of the registry.
static ZH_FIELDS: &[(FieldId, &str, &str)] = &[
    // Link layer.
    (F::Eth, "以太网 II", ""),
    (F::EthDst, "目的MAC", "目的MAC地址"),
    (F::EthSrc, "源MAC", "源MAC地址"),
    (F::EthType, "类型", "载荷的以太网类型(EtherType)"),
    (F::EthLen, "长度", "IEEE 802.3 帧中 LLC 载荷的长度"),
    (
        F::EthPadding,
        "填充",
        "网络层报文之后的字节(补足 60 字节的填充或尾部数据)",
    ),
    (
        F::EthFcs,
        "帧校验序列",
        "以太网 CRC，抓包文件声明包含时才有",
    ),
    (F::Vlan, "802.1Q 虚拟局域网", ""),
    (F::VlanPriority, "优先级", ""),
    (F::VlanDei, "可丢弃标志(DEI)", ""),
    (F::VlanId, "VLAN ID", ""),
    (F::VlanEtype, "类型", ""),
    (F::Sll, "Linux cooked 抓包头部 v1", ""),
    (F::Sll2, "Linux cooked 抓包头部 v2", ""),
    (F::SllPkttype, "报文类型", ""),
    (F::SllHatype, "链路层地址类型", ""),
    (F::SllHalen, "链路层地址长度", ""),
    (F::SllSrcEth, "源MAC", ""),
    (F::SllSrcOther, "源地址", ""),
    (F::SllUnused, "未用的地址字节", ""),
    (F::SllEtype, "协议", ""),
    (F::SllReserved, "保留", ""),
    (F::SllIfindex, "接口索引", ""),
    (F::Null, "Null/环回", ""),
    (F::NullFamily, "地址族", ""),
    // IPv4.
    (F::Ip, "IPv4(互联网协议第 4 版)", ""),
    (F::IpVersion, "版本", ""),
    (
        F::IpHdrLen,
        "首部长度",
        "首部长度(字节)，即 IHL 字段(四字节个数)乘以 4",
    ),
    (F::IpDsfield, "区分服务(TOS)", ""),
    (F::IpDscp, "DSCP(区分服务代码点)", ""),
    (F::IpEcn, "ECN(显式拥塞通知)", ""),
    (F::IpLen, "总长度", ""),
    (F::IpId, "标识符", ""),
    (F::IpFlags, "标志", ""),
    (F::IpFlagRb, "保留位", ""),
    (F::IpFlagDf, "禁止分片(DF)", ""),
    (F::IpFlagMf, "更多分片(MF)", ""),
    (
        F::IpFragOffset,
        "片偏移",
        "本分片在原报文中的偏移(字节，即字段值乘以 8)",
    ),
    (F::IpTtl, "生存周期", ""),
    (F::IpProto, "上层协议", ""),
    (F::IpChecksum, "首部校验和", ""),
    (
        F::IpChecksumStatus,
        "首部校验和状态",
        "正确、错误，或部分(留给网卡填写)",
    ),
    (F::IpSrc, "源IP", ""),
    (F::IpDst, "目的IP", ""),
    (F::IpOptions, "选项", ""),
    (F::IpOptType, "选项类型", ""),
    (F::IpOptLen, "选项长度", ""),
    (F::IpOptData, "选项数据", ""),
    // IPv6.
    (F::Ipv6, "IPv6(互联网协议第 6 版)", ""),
    (F::Ipv6Version, "版本", ""),
    (F::Ipv6Tclass, "流量类别", ""),
    (F::Ipv6Flow, "流标签", ""),
    (F::Ipv6Plen, "载荷长度", ""),
    (F::Ipv6Nxt, "下一个首部", ""),
    (F::Ipv6Hlim, "跳数限制", ""),
    (F::Ipv6Src, "源IP", ""),
    (F::Ipv6Dst, "目的IP", ""),
    (F::Ipv6HopOpts, "逐跳选项", ""),
    (F::Ipv6Routing, "路由首部", ""),
    (F::Ipv6Fragment, "分片首部", ""),
    (F::Ipv6DstOpts, "目的选项", ""),
    (F::Ipv6ExtNxt, "下一个首部", ""),
    (
        F::Ipv6ExtLen,
        "扩展首部长度",
        "以 8 字节为单位，不含最前面的 8 字节",
    ),
    (F::Ipv6OptType, "选项类型", ""),
    (F::Ipv6OptLen, "选项长度", ""),
    (F::Ipv6OptData, "选项数据", ""),
    (F::Ipv6OptJumbo, "巨型载荷长度", ""),
    (F::Ipv6RoutingType, "路由类型", ""),
    (F::Ipv6RoutingSegleft, "剩余段数", ""),
    (F::Ipv6RoutingData, "路由数据", ""),
    (F::Ipv6FragReserved, "保留", ""),
    (F::Ipv6FragOffset, "片偏移", "本分片的偏移(字节)"),
    (F::Ipv6FragMore, "更多分片", ""),
    (F::Ipv6FragId, "标识符", ""),
    // UDP.
    (F::Udp, "UDP(用户数据报协议)", ""),
    (F::UdpSrcport, "源端口", ""),
    (F::UdpDstport, "目的端口", ""),
    (F::UdpLength, "UDP长度", ""),
    (F::UdpChecksum, "校验和", ""),
    (
        F::UdpChecksumStatus,
        "校验和状态",
        "正确、错误、无(IPv4 上为 0)、部分(留给网卡填写)或未验证(报文被截断)",
    ),
    // TCP.
    (F::Tcp, "TCP(传输控制协议)", ""),
    (F::TcpSrcport, "源端口", ""),
    (F::TcpDstport, "目的端口", ""),
    (F::TcpSeq, "序列号", "线路上的绝对序列号"),
    (F::TcpAck, "确认号", ""),
    (
        F::TcpHdrLen,
        "首部长度",
        "首部长度(字节)，即数据偏移字段乘以 4",
    ),
    (F::TcpFlags, "标志", ""),
    (F::TcpFlagRes, "保留", ""),
    (F::TcpFlagAe, "精确 ECN(AE)", ""),
    (F::TcpFlagCwr, "拥塞窗口减小(CWR)", ""),
    (F::TcpFlagEce, "ECN 回显(ECE)", ""),
    (F::TcpFlagUrg, "紧急(URG)", ""),
    (F::TcpFlagAck, "确认(ACK)", ""),
    (F::TcpFlagPush, "推送(PSH)", ""),
    (F::TcpFlagReset, "复位(RST)", ""),
    (F::TcpFlagSyn, "同步(SYN)", ""),
    (F::TcpFlagFin, "结束(FIN)", ""),
    (
        F::TcpWindow,
        "窗口",
        "线路上的窗口字段(未按窗口扩大因子换算)",
    ),
    (F::TcpChecksum, "校验和", ""),
    (
        F::TcpChecksumStatus,
        "校验和状态",
        "正确、错误、部分(留给网卡填写)或未验证(报文段被截断)",
    ),
    (F::TcpUrgentPointer, "紧急指针", ""),
    (F::TcpOptions, "选项", ""),
    (F::TcpOptionKind, "选项类型", ""),
    (F::TcpOptionLen, "选项长度", ""),
    (F::TcpOptionMss, "最大报文段长度(MSS)", ""),
    (F::TcpOptionWscale, "窗口扩大因子", ""),
    (F::TcpOptionSackLe, "SACK 左边界", ""),
    (F::TcpOptionSackRe, "SACK 右边界", ""),
    (F::TcpOptionTsval, "时间戳值", ""),
    (F::TcpOptionTsecr, "时间戳回显应答", ""),
    (F::TcpOptionData, "选项数据", ""),
    (
        F::TcpLen,
        "报文段长度",
        "报文段携带的载荷字节数(由 IP 长度算出)",
    ),
    // ICMP.
    (F::Icmp, "ICMP(互联网控制报文协议)", ""),
    (F::IcmpType, "类型", ""),
    (F::IcmpCode, "代码", ""),
    (F::IcmpChecksum, "校验和", ""),
    (
        F::IcmpChecksumStatus,
        "校验和状态",
        "正确、错误或未验证(报文被截断)",
    ),
    (
        F::IcmpIdent,
        "标识符",
        "回显标识符：区分发出 ping 的进程，应答原样带回",
    ),
    (
        F::IcmpSeq,
        "序列号",
        "回显序列号：ping 每发一个请求加 1，应答原样带回",
    ),
    (F::IcmpUnused, "未用", ""),
    (F::IcmpMtu, "下一跳 MTU", ""),
    (F::IcmpGateway, "网关地址", ""),
    (F::IcmpPointer, "指针", ""),
    (F::IcmpRest, "首部其余部分", ""),
    (
        F::IcmpData,
        "数据",
        "ICMP 首部之后的载荷：回显请求中是 ping 的数据(常以发送时间戳开头)，应答原样带回",
    ),
    // ICMPv6.
    (F::Icmpv6, "ICMPv6(互联网控制报文协议第 6 版)", ""),
    (F::Icmpv6Type, "类型", ""),
    (F::Icmpv6Code, "代码", ""),
    (F::Icmpv6Checksum, "校验和", ""),
    (F::Icmpv6ChecksumStatus, "校验和状态", ""),
    (F::Icmpv6EchoId, "标识符", ""),
    (F::Icmpv6EchoSeq, "序列号", ""),
    (F::Icmpv6Mtu, "MTU", ""),
    (F::Icmpv6Pointer, "指针", ""),
    (F::Icmpv6Reserved, "保留", ""),
    (F::Icmpv6NdFlags, "标志", ""),
    (F::Icmpv6NdTarget, "目标地址", ""),
    (F::Icmpv6OptType, "选项类型", ""),
    (F::Icmpv6OptLen, "选项长度", "以 8 字节为单位"),
    (F::Icmpv6OptLinkaddr, "链路层地址", ""),
    (F::Icmpv6OptData, "选项数据", ""),
    (F::Icmpv6Data, "数据", ""),
    // ARP.
    (F::Arp, "ARP(地址解析协议)", ""),
    (F::ArpHwType, "硬件类型", ""),
    (F::ArpProtoType, "协议类型", ""),
    (F::ArpHwSize, "硬件地址长度", ""),
    (F::ArpProtoSize, "协议地址长度", ""),
    (F::ArpOpcode, "操作码", ""),
    (F::ArpSrcHwMac, "发送方MAC", ""),
    (F::ArpSrcProtoIpv4, "发送方IP", ""),
    (F::ArpDstHwMac, "目标MAC", ""),
    (F::ArpDstProtoIpv4, "目标IP", ""),
    (F::ArpSrcHw, "发送方硬件地址", ""),
    (F::ArpSrcProto, "发送方协议地址", ""),
    (F::ArpDstHw, "目标硬件地址", ""),
    (F::ArpDstProto, "目标协议地址", ""),
    // VXLAN, GBP, VXLAN-GPE.
    (F::Vxlan, "VXLAN(虚拟扩展局域网)", ""),
    (F::VxlanGpe, "VXLAN-GPE(VXLAN 通用协议扩展)", ""),
    (F::VxlanFlags, "标志位", "flannel 的每个报文都是 0x08(I)"),
    (F::VxlanFlagG, "GBP 扩展(G)", ""),
    (F::VxlanFlagI, "VNI 有效(I)", ""),
    (
        F::VxlanFlagsReserved,
        "保留标志位",
        "必须为 0：否则 Linux 会丢弃该报文",
    ),
    (F::VxlanGbpFlags, "组策略标志", ""),
    (F::VxlanFlagD, "不学习(D)", ""),
    (F::VxlanFlagA, "策略已应用(A)", ""),
    (F::VxlanGbpFlagsReserved, "保留的组策略标志", ""),
    (F::VxlanGbp, "组策略 ID", ""),
    (
        F::VxlanReserved,
        "保留字段",
        "标志位之后的 24 个保留位：RFC 7348 VXLAN 中为 0",
    ),
    (F::VxlanGpeVersion, "版本", ""),
    (F::VxlanFlagP, "带下一协议(P)", ""),
    (F::VxlanFlagB, "BUM 流量(B)", ""),
    (F::VxlanFlagO, "OAM(O)", ""),
    (F::VxlanGpeFlagsReserved, "保留标志位", ""),
    (F::VxlanReserved16, "保留字段", ""),
    (F::VxlanNextProto, "下一协议", ""),
    (
        F::VxlanVni,
        "VNI",
        "VXLAN 网络标识符(Linux 上的 flannel 为 1)",
    ),
    (F::VxlanReserved8, "保留字段", ""),
    // OTV.
    (F::Otv, "OTV(覆盖传输虚拟化，IANA 对 UDP 8472 的解读)", ""),
    (F::OtvFlags, "标志", ""),
    (F::OtvOverlay, "覆盖网络 ID", ""),
    (F::OtvInstance, "实例 ID", ""),
    (F::OtvReserved, "保留", ""),
    // Flannel annotations.
    (F::Flannel, "flannel 标注", ""),
    (F::FlannelSrcNode, "源节点", "公网 IP 为外层源地址的节点"),
    (
        F::FlannelDstNode,
        "目的节点",
        "公网 IP 为外层目的地址的节点",
    ),
    (
        F::FlannelSrcVtepNode,
        "源 VTEP 所在节点",
        "flannel.1 的 MAC(VTEP MAC)为内层源 MAC 的节点",
    ),
    (
        F::FlannelDstVtepNode,
        "目的 VTEP 所在节点",
        "flannel.1 的 MAC(VTEP MAC)为内层目的 MAC 的节点",
    ),
    (
        F::FlannelSrcPodSubnet,
        "源 pod 子网",
        "包含内层源地址的 pod 子网(podCIDR)",
    ),
    (
        F::FlannelDstPodSubnet,
        "目的 pod 子网",
        "包含内层目的地址的 pod 子网(podCIDR)",
    ),
    (
        F::FlannelSrcSubnetNode,
        "源 pod 子网所属节点",
        "拥有源 pod 子网的节点",
    ),
    (
        F::FlannelDstSubnetNode,
        "目的 pod 子网所属节点",
        "拥有目的 pod 子网的节点",
    ),
    (
        F::FlannelSrcRole,
        "源地址角色",
        "pod、VTEP(flannel.1 的 X.0 地址)、网关(cni0 的 X.1 地址)或集群外(不在集群网络内)",
    ),
    (
        F::FlannelDstRole,
        "目的地址角色",
        "pod、VTEP(X.0，flannel.1)、网关(X.1，cni0)或集群外",
    ),
    (F::FlannelSrcPod, "源 pod", ""),
    (F::FlannelDstPod, "目的 pod", ""),
    (F::FlannelSrcNamespace, "源 pod 的命名空间", ""),
    (F::FlannelDstNamespace, "目的 pod 的命名空间", ""),
    (
        F::FlannelSrcPodNode,
        "源 pod 所在节点",
        "pod 列表中源 pod 运行的节点",
    ),
    (
        F::FlannelDstPodNode,
        "目的 pod 所在节点",
        "pod 列表中目的 pod 运行的节点",
    ),
    // Undecoded bytes.
    (F::Data, "数据", ""),
    (F::DataData, "数据", ""),
    (F::DataLen, "长度", ""),
    // Flow hashes.
    (
        F::CommunityId,
        "Community ID",
        "该层 IP 流的 Community ID（corelight 规范第 1 版，种子 0），可与 Zeek、Suricata 的记录关联",
    ),
];

/// Chinese template and advice of every note of the registry.
static ZH_NOTES: &[(NoteCode, &str, &str)] = &[
    (
        NoteCode::Truncated,
        "{0}被截断：需要 {1} 字节，只捕获了 {2} 字节",
        "",
    ),
    (
        NoteCode::LengthOverrun,
        "{0}为 {1} 字节，但其后只有 {2} 字节",
        "",
    ),
    (
        NoteCode::LengthShort,
        "{0}为 {1} 字节，小于 {2} 字节的首部",
        "",
    ),
    (NoteCode::BadVersion, "IP 版本为 {0}，应为版本 {1}", ""),
    (
        NoteCode::BadOption,
        "{0} 选项(第 {1} 字节)超出了首部的末尾",
        "",
    ),
    (NoteCode::LinkUnsupported, "链路类型 {0} 不解码", ""),
    (
        NoteCode::LengthZero,
        "{0}长度字段为 0：这是发送主机在分段之前抓到的 GSO 或 BIG TCP 超大报文；长度取自抓包数据",
        "",
    ),
    (
        NoteCode::Fragment,
        "{0} 分片，位于原报文的字节偏移 {1}，后面还有分片：{2}",
        "",
    ),
    (
        NoteCode::ChecksumBad,
        "{0}校验和 {1:x} 错误：应为 {2:x}",
        "若在接收端或线路上抓包，该报文会被丢弃；若在发送端抓包，网卡可能随后才填写校验和",
    ),
    (
        NoteCode::ChecksumPartial,
        "{0}校验和 {1:x} 只含伪首部之和：这是校验和卸载，在网卡填写之前于发送主机上抓到(不是故障)",
        "",
    ),
    (
        NoteCode::OuterChecksumLco,
        "外层{0}校验和 {1:x} 对发出的报文是正确的：内层{2}校验和仍只是部分值(校验和卸载，在发送主机上抓到)，外层校验和由本地校验和卸载(LCO)算出，已把内层校验和按填好后的值计入(不是故障)",
        "",
    ),
    (
        NoteCode::Port8472,
        "UDP 8472 是 Linux 和 flannel 的 VXLAN 端口，而 IANA 把它分配给了 OTV：tcpdump 4.99 及更早版本把这个首部显示为 \"OTV, flags {1}, overlay {2}, instance {0}\"，也就是 VXLAN VNI {0}",
        "按 VXLAN 解读：tshark -d udp.port==8472,vxlan；vxscope 默认按 VXLAN 解码，除非指定 --decode-as otv",
    ),
    (
        NoteCode::VxlanFlagsInvalid,
        "{0}(标志位 {1:x}，保留位 {2:x})：Linux VXLAN 驱动会丢弃这样的报文(VXLAN_INVALID_HDR)",
        "设置这些位的发送方不是普通的 RFC 7348 VXLAN：检查对端的 VXLAN 实现和 GBP 设置，或者这根本不是 VXLAN",
    ),
    (
        NoteCode::GpeNextProtocol,
        "VXLAN-GPE 下一协议 {0} 不解码",
        "",
    ),
    (
        NoteCode::TooDeep,
        "VXLAN 嵌套超过 {0} 层：其余部分不再解码",
        "",
    ),
    (
        NoteCode::TooManyExtensions,
        "IPv6 报文的扩展头超过 {0} 个：其余部分不再解码",
        "",
    ),
    (
        NoteCode::OuterChecksumBad,
        "外层 {0} 校验和 {1:x} 错误：应为 {2:x}；接收方内核会丢弃该报文(dmesg \"UDP: bad checksum\")",
        "若在接收端或线路上抓包，检查是否有 NAT 或中间设备改写了外层首部，并在发送端试试 `ethtool -K <nic> tx-checksum-ip-generic off`；在发送端抓到的可能只是校验和卸载",
    ),
    (
        NoteCode::MtuInner,
        "被封装的报文有 {0} 字节，超过了 {1} 字节的 VXLAN MTU：加上 {2} 字节的外层首部后，底层网络已经容纳不下",
        "让 pod 的 MTU(以及它决定的 MSS)不超过 VXLAN MTU：/run/flannel/subnet.env 中的 FLANNEL_MTU 等于网卡 MTU 减 50(IPv6 上减 70)；检查底层网络每一跳的 MTU(VPN、云网络)",
    ),
    (
        NoteCode::MtuFragment,
        "VXLAN 报文的外层 IP 分片(外层报文 {0} 字节)：底层网络的 MTU 小于封装后的帧，每个大报文都会被分片(在丢弃分片的地方则被丢弃)",
        "把 VXLAN MTU 降到底层网络的 MTU 减 50(IPv6 上减 70)：用 flannel 的 MTU 选项，或调整它所依据的网卡 MTU",
    ),
    (
        NoteCode::MtuIcmp,
        "{0} 报告下一跳 MTU 为 {1}，而报文有 {2} 字节：路径比送进去的报文窄",
        "让 pod MTU 不超过 VXLAN MTU、VXLAN MTU 不超过底层路径(网卡 MTU 减 50，IPv6 上减 70)，并让防火墙放行这些 ICMP 报文",
    ),
    (
        NoteCode::PortUnreachable,
        "{0} 拒绝了发往 UDP 端口 {1} 的 VXLAN(ICMP {2})：报文根本没有到达 flannel.1",
        "在节点之间放行 VXLAN 端口(除非另行配置，即 UDP 8472；firewalld、iptables、云安全组)，并让每个节点使用同一个 VXLAN 端口(flannel 的 Port，Linux 上默认为 8472；Windows 节点用 4789)",
    ),
    (
        NoteCode::VtepMacMismatch,
        "内层目的 MAC {0} 不是拥有外层目的地址的 {2} 的 VTEP MAC {1}：接收方会丢弃该帧(fdb 或邻居表项已过时)",
        "在发送节点上，把 `bridge fdb show dev flannel.1` 和 `ip neigh show dev flannel.1` 与接收方 flannel.1 的 MAC(它的 flannel.alpha.coreos.com/backend-data 注解)对比；在发送方重启 flannel，或升级 flannel(v0.24.1+ 重启后保持 VTEP MAC 不变)",
    ),
    (
        NoteCode::VniMismatch,
        "VNI 为 {0}，而按{2}应为 {1}：接收方没有对应的 VXLAN 设备，会悄无声息地丢弃该报文",
        "让每个节点使用同一个 VNI：net-conf.json 的 Backend 部分中 flannel 的 VNI(Linux 上默认为 1；有 Windows 节点的集群各处都要用 4096)",
    ),
    (
        NoteCode::PortMismatch,
        "VXLAN 使用 UDP 端口 {0}，而按{2}应为 {1}",
        "让每个节点使用同一个 VXLAN 端口：flannel 的 Port 设置(0 表示内核默认的 8472；Windows 节点用 4789)",
    ),
    (
        NoteCode::InnerTtl,
        "来自 pod {1} 的内层 TTL 为 {0}：节点路由进 flannel.1 的报文离开时 TTL 会减 1(pod 发出 64，线路上是 63)；这个报文没有经过节点路由",
        "找出节点路由之外往隧道里送帧的东西：网桥、第二个 VXLAN 设备，或同一 VNI 和端口上不属于 flannel 的 VTEP",
    ),
    (
        NoteCode::SubnetClaimed,
        "{1} 的 pod 子网 {0} 被不止一个节点认领",
        "两个节点认领了同一个 pod 子网：把 `kubectl get nodes -o json`(spec.podCIDR)与各节点的路由对比，删除过时的节点或在其上重启 flannel",
    ),
    (
        NoteCode::VtepMacClaimed,
        "VTEP MAC {0} 被不止一个节点认领",
        "两个节点认领了同一个 VTEP MAC：把各节点的 flannel.alpha.coreos.com/backend-data 注解与它们 flannel.1 的 MAC 对比，在过时的那个节点上重启 flannel",
    ),
    (
        NoteCode::OffloadArtefact,
        "被封装的报文有 {0} 字节，超过 {1} 字节的 VXLAN MTU：这是发送主机在网卡分段之前抓到的 GSO/TSO 超大报文(不是故障)",
        "",
    ),
    (
        NoteCode::InnerChecksumBad,
        "被封装报文的 {0} 校验和 {1:x} 错误：应为 {2:x}；接收方 pod 的内核会丢弃它",
        "这是 flannel.1 的发送校验和卸载缺陷(flannel #1279，kubernetes #88986)：在发送节点上运行 `ethtool -K flannel.1 tx-checksum-ip-generic off`，或升级 flannel(v0.20.2+)和 kube-proxy(1.16.13/1.17.9/1.18.6+)",
    ),
];

/// Chinese for the value names of the registry and the fixed words layers write into values and notes.
static ZH_TEXT: &[(&str, &str)] = &[
    // Checksum status words.
    ("good", "正确"),
    ("bad", "错误"),
    ("absent", "无"),
    ("partial", "部分(待网卡填写)"),
    ("lco", "本地校验和卸载(内层填好后正确)"),
    ("unverified", "未验证"),
    // What a note is about.
    ("Ethernet header", "以太网首部"),
    ("802.1Q tag", "802.1Q 标签"),
    ("Linux cooked header", "Linux cooked 头部"),
    ("Linux cooked v2 header", "Linux cooked v2 头部"),
    ("loopback header", "环回头部"),
    ("loopback family", "环回地址族"),
    ("IPv4 header", "IPv4 首部"),
    ("IPv4 header with options", "IPv4 首部(含选项)"),
    ("IPv4 header length", "IPv4 首部长度"),
    ("IPv4 total length", "IPv4 总长度"),
    ("IPv4 total", "IPv4 总"),
    ("IPv6 header", "IPv6 首部"),
    ("IPv6 payload length", "IPv6 载荷长度"),
    ("IPv6 payload", "IPv6 载荷"),
    ("4 or 6", "4 或 6"),
    ("UDP header", "UDP 首部"),
    ("UDP length", "UDP 长度"),
    ("TCP header", "TCP 首部"),
    ("TCP header with options", "TCP 首部(含选项)"),
    ("TCP data offset", "TCP 数据偏移"),
    ("ICMP header", "ICMP 首部"),
    ("ICMPv6 header", "ICMPv6 首部"),
    ("ICMPv6 neighbor discovery target", "ICMPv6 邻居发现目标"),
    ("ARP header", "ARP 首部"),
    ("ARP addresses", "ARP 地址"),
    ("VXLAN header", "VXLAN 首部"),
    ("VXLAN-GPE header", "VXLAN-GPE 首部"),
    ("OTV header", "OTV 首部"),
    ("the I flag is clear", "I 标志位为 0"),
    (
        "the G flag (group based policy) is set, but GBP is not configured",
        "G 标志位(组策略)被置位，但没有配置 GBP",
    ),
    ("reserved bits are set", "保留位被置位"),
    // tcpdump's words for the VXLAN flags, quoted as it prints them.
    ("[I] (0x08)", "[I] (0x08)"),
    ("[none] (0x00)", "[none] (0x00)"),
    // Flannel: address roles and what a diagnosis refers to.
    ("pod", "pod"),
    ("vtep", "VTEP"),
    ("gateway", "网关"),
    ("outside", "集群外"),
    ("(unnamed node)", "(未命名节点)"),
    ("a node", "某个节点"),
    ("a host", "某台主机"),
    ("the cluster", "集群"),
    ("flannel's default", "flannel 的默认值"),
    ("earlier packets of this capture", "本次抓包中较早的报文"),
    ("port unreachable", "端口不可达"),
    ("administratively prohibited", "被管理策略禁止"),
    // Value names.
    ("802.1Q VLAN", "802.1Q VLAN"),
    ("802.1ad QinQ", "802.1ad QinQ"),
    ("QinQ (legacy)", "QinQ(旧式)"),
    ("MPLS unicast", "MPLS 单播"),
    ("MPLS multicast", "MPLS 组播"),
    ("PPPoE discovery", "PPPoE 发现"),
    ("PPPoE session", "PPPoE 会话"),
    ("IPv6 Hop-by-Hop", "IPv6 逐跳选项"),
    ("IPv6 Routing", "IPv6 路由首部"),
    ("IPv6 Fragment", "IPv6 分片首部"),
    ("IPv6 No Next Header", "IPv6 无下一个首部"),
    ("IPv6 Destination Options", "IPv6 目的选项"),
    ("Echo (ping) reply", "回显应答"),
    ("Destination unreachable", "目的不可达"),
    ("Source quench", "源抑制"),
    ("Redirect", "重定向"),
    ("Echo (ping) request", "回显请求"),
    ("Router advertisement", "路由器通告"),
    ("Router solicitation", "路由器请求"),
    ("Time exceeded", "超时"),
    ("Parameter problem", "参数问题"),
    ("Timestamp request", "时间戳请求"),
    ("Timestamp reply", "时间戳应答"),
    ("Network unreachable", "网络不可达"),
    ("Host unreachable", "主机不可达"),
    ("Protocol unreachable", "协议不可达"),
    ("Port unreachable", "端口不可达"),
    ("Fragmentation needed", "需要分片"),
    ("Source route failed", "源路由失败"),
    ("Destination network unknown", "目的网络未知"),
    ("Destination host unknown", "目的主机未知"),
    ("Network administratively prohibited", "网络被管理策略禁止"),
    ("Host administratively prohibited", "主机被管理策略禁止"),
    (
        "Communication administratively prohibited",
        "通信被管理策略禁止",
    ),
    ("Packet too big", "报文过大"),
    ("Neighbor solicitation", "邻居请求"),
    ("Neighbor advertisement", "邻居通告"),
    ("Multicast listener report v2", "组播侦听者报告 v2"),
    ("request", "请求"),
    ("reply", "应答"),
    ("RARP request", "RARP 请求"),
    ("RARP reply", "RARP 应答"),
    ("Ethernet", "以太网"),
    // Short names of protocols.
    ("Loopback", "环回"),
    ("Data", "数据"),
    ("IEEE 802", "IEEE 802"),
    ("Unicast to us", "发往本机的单播"),
    ("Broadcast", "广播"),
    ("Multicast", "组播"),
    ("Unicast to another host", "发往其他主机的单播"),
    ("Sent by us", "本机发出"),
    ("IPv6 (NetBSD/OpenBSD)", "IPv6(NetBSD/OpenBSD)"),
    ("IPv6 (FreeBSD)", "IPv6(FreeBSD)"),
    ("IPv6 (macOS)", "IPv6(macOS)"),
    ("End of Option List", "选项列表结束"),
    ("End of Options List", "选项列表结束"),
    ("No-Operation", "无操作"),
    ("Maximum segment size", "最大报文段长度"),
    ("Window scale", "窗口扩大因子"),
    ("SACK permitted", "允许 SACK"),
    ("Timestamps", "时间戳"),
    ("MD5 signature", "MD5 签名"),
    ("User timeout", "用户超时"),
    ("TCP Fast Open cookie", "TCP 快速打开 cookie"),
    ("Multipath TCP", "多路径 TCP"),
    ("MACsec", "MACsec"),
    ("Record Route", "记录路由"),
    ("Time Stamp", "时间戳"),
    ("Security", "安全"),
    ("Loose Source Route", "宽松源路由"),
    ("Strict Source Route", "严格源路由"),
    ("Router Alert", "路由器告警"),
];

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashSet;

    #[test]
    fn every_field_and_protocol_has_a_chinese_name() {
        let mut missing = Vec::new();
        for &id in FieldId::ALL {
            match zh_field(id) {
                None => missing.push(id.def().abbrev),
                Some((name, _)) if name.trim().is_empty() => missing.push(id.def().abbrev),
                Some(_) => {}
            }
        }
        assert!(missing.is_empty(), "no Chinese name for {missing:?}");
        let mut seen = HashSet::new();
        for (id, _, _) in ZH_FIELDS {
            assert!(seen.insert(*id), "{:?} has two rows", id);
        }
    }

    #[test]
    fn every_meaning_has_a_chinese_meaning() {
        for &id in FieldId::ALL {
            let def = id.def();
            if !def.blurb.is_empty() {
                assert!(
                    zh_field(id).is_some_and(|(_, b)| !b.is_empty()),
                    "{} has an English meaning but no Chinese one",
                    def.abbrev
                );
            }
        }
    }

    /// The `{0}`, `{1:x}` ... of a template, sorted.
    fn placeholders(template: &str) -> Vec<&str> {
        let mut found: Vec<&str> = template
            .match_indices('{')
            .filter_map(|(i, _)| {
                let close = template[i..].find('}')?;
                Some(&template[i..i + close + 1])
            })
            .collect();
        found.sort();
        found
    }

    #[test]
    fn every_note_has_a_chinese_message_with_the_same_values() {
        for &code in NoteCode::ALL {
            let def = code.def();
            let (template, advice) =
                zh_note(code).unwrap_or_else(|| panic!("no Chinese message for {}", def.code));
            assert_eq!(
                placeholders(template),
                placeholders(def.template),
                "{}: the translation must use the same values",
                def.code
            );
            assert_eq!(
                advice.is_empty(),
                def.advice.is_empty(),
                "{}: advice in one language only",
                def.code
            );
        }
        let mut seen = HashSet::new();
        for (code, _, _) in ZH_NOTES {
            assert!(seen.insert(*code as usize), "{code:?} has two rows");
        }
    }

    /// Whether a word needs a row in the table: protocol names that read the same in Chinese (`IPv4`, `ARP`,
    /// `802.1Q VLAN`) do not.
    fn needs_translation(text: &str) -> bool {
        !text.split_whitespace().all(|w| {
            w.chars().next().is_some_and(|c| !c.is_ascii_lowercase())
                && w.chars().filter(|c| c.is_ascii_lowercase()).count() <= 1
        })
    }

    fn has_row(english: &str) -> bool {
        ZH_TEXT.iter().any(|(en, _)| *en == english)
    }

    #[test]
    fn every_value_name_has_a_chinese_name() {
        let mut missing = HashSet::new();
        for def in FIELDS {
            for (_, name) in def.vals {
                if needs_translation(name) && !has_row(name) {
                    missing.insert(*name);
                }
            }
        }
        assert!(missing.is_empty(), "no Chinese for {missing:?}");
    }

    /// The string literals layers put into values and note arguments: the first literal after each opener.
    fn layer_words() -> Vec<String> {
        let src = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
        // Layers and the flannel annotator write values and note arguments; flannel's sources.rs only parses.
        let mut files: Vec<_> = ["layers", "flannel"]
            .into_iter()
            .flat_map(|dir| std::fs::read_dir(src.join(dir)).unwrap())
            .map(|e| e.unwrap().path())
            .filter(|p| !p.ends_with("flannel/sources.rs"))
            .collect();
        files.push(src.join("checksum.rs"));
        let mut words = Vec::new();
        for file in files {
            let code = std::fs::read_to_string(&file).unwrap();
            // Openers followed directly by the literal, and calls whose first literal argument is one.
            for (opener, anywhere_in_call) in [
                ("Value::Text(", false),
                ("Some(", false),
                ("=> ", false),
                ("cx.take(", false),
                ("checksum_note(", true),
                ("verify(", true),
            ] {
                for (i, _) in code.match_indices(opener) {
                    let rest = &code[i + opener.len()..];
                    let body = if anywhere_in_call {
                        let call = &rest[..rest.find(')').unwrap_or(rest.len())];
                        call.find('"').map(|q| &call[q + 1..])
                    } else {
                        rest.trim_start().strip_prefix('"')
                    };
                    if let Some(body) = body {
                        let end = body.find('"').unwrap();
                        words.push(body[..end].to_string());
                    }
                }
            }
        }
        words.sort();
        words.dedup();
        words
    }

    #[test]
    fn every_word_layers_write_has_a_chinese_word() {
        let words = layer_words();
        for expected in [
            "IPv4 header",
            "good",
            "the I flag is clear",
            "UDP header",
            "gateway",
        ] {
            assert!(
                words.iter().any(|w| w == expected),
                "{expected} not found in {words:?}"
            );
        }
        let missing: Vec<_> = words
            .iter()
            .filter(|w| needs_translation(w) && !has_row(w))
            .collect();
        assert!(missing.is_empty(), "no Chinese for {missing:?}");
    }

    #[test]
    fn lookups_fall_back_to_english() {
        assert_eq!(field_name(FieldId::IpTtl, Lang::Zh), "生存周期");
        assert_eq!(field_name(FieldId::IpTtl, Lang::En), "Time to live");
        assert_eq!(field_name(FieldId::EthDst, Lang::Zh), "目的MAC");
        assert_eq!(field_blurb(FieldId::IpTtl, Lang::Zh), "");
        assert_eq!(text("Echo (ping) request", Lang::Zh), "回显请求");
        assert_eq!(text("no such words", Lang::Zh), "no such words");
    }
}
