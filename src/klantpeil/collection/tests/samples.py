"""A complete, valid customer-survey response, shared by tests of every path answers take."""

CUSTOMER_SURVEY_ANSWERS = {
    "overall_grade": 8,
    "reliability_promise": 8,
    "reliability_answer": 9,
    "empathy_understanding": 7,
    "empathy_serious": 8,
    "customer_focus": 7,
    "customer_knowledge": 6,
    "waiting_time": 5,
    "accessibility": 8,
    "nps": 9,
    "ces": 6,
    "solved_first_contact": True,
}
# The same answers as a browser posts them (strings; yes is "1").
CUSTOMER_SURVEY_FORM = {
    key: ("1" if value is True else str(value)) for key, value in CUSTOMER_SURVEY_ANSWERS.items()
}
