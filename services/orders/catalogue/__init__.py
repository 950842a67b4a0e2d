"""The national catalogue of case classes (案件分类: 部件 and 事件, after GB/T 30428.2 and CJ/T 214) with their
default time limits, each street's own limits, and the street's working calendar (工作日历)."""
