"""Wording strength per ANNOTATION.md section 2, sentence by sentence."""

import pytest

from claimcheck.records import Unit
from claimcheck.wording import rate


def wording(text: str) -> str:
    return rate(Unit(0, 0, text, "sentence")).label


@pytest.mark.parametrize(
    "text, expected",
    [
        # boosters, establishment, hype, absolute safety, cure words, verdicts, promises
        ("Our serum is clinically proven to fade scars.", "strong"),
        ("Research shows that cold plunges speed up recovery.", "strong"),
        ("This tea is a breakthrough for bloating.", "strong"),
        ("The cleanse is completely safe for children.", "strong"),
        ("The drops have no side effects at all.", "strong"),
        ("Cupping has minimal side effects, making it a gentler choice.", "strong"),
        ("The protocol reverses prediabetes.", "strong"),
        ("Magnet therapy is highly effective for back pain.", "strong"),
        ("Most clients are pain-free in days.", "strong"),
        ("You can lose 20 pounds in a month with our shots.", "strong"),
        ('One client wrote: "My migraines were gone after two sessions!"', "strong"),
        # plain causal claims are moderate
        ("Zinc lozenges shorten colds.", "moderate"),
        ("The device helps relieve muscle soreness.", "moderate"),
        ("Acupuncture works by stimulating nerves under the skin.", "moderate"),
        ("The vaccine did not reduce hospital stays in older adults.", "moderate"),
        # hedges that govern the claim
        ("Ginger may ease nausea during pregnancy.", "hedged"),
        ("The supplement is thought to lower cortisol.", "hedged"),
        ("Early research suggests a benefit for sleep.", "hedged"),
        ("The effect was seen only in mice.", "hedged"),
        # denials hedge
        ("Chelation is not a cure for autism.", "hedged"),
        ("Detox pads are no miracle.", "hedged"),
        # hedge scope: a hedge inside a relative clause does not govern the main claim
        ("The balm, which may calm inflammation, is safe and effective.", "strong"),
        ("Although the research is limited, the infusion is completely safe.", "strong"),
        # pseudo-hedges are praise, not hedges
        ("Ozone is a promising and powerful therapy for infections.", "strong"),
    ],
)
def test_wording_table(text, expected):
    assert wording(text) == expected


def test_cues_point_at_the_deciding_words():
    unit = Unit(0, 0, "The oil is completely safe and works wonders for joints.", "sentence")
    result = rate(unit)
    assert result.label == "strong"
    spans = {unit.text[c.start : c.end].lower() for c in result.cues}
    assert "completely safe" in spans
    assert any("works wonders" in s for s in spans)


@pytest.mark.parametrize(
    "text, expected",
    [
        # praise vocabulary
        ("Beetroot juice is excellent for stamina.", "strong"),
        ("Cold showers bring tremendous benefits for mood.", "strong"),
        ("Tai chi is a well-known method for easing stiffness.", "strong"),
        ("The patch delivers exceptional relief from cramps.", "strong"),
        # establishment in any tense or voice
        ("Saunas have been shown to lower blood pressure.", "strong"),
        ("Omega-3 has been found to ease joint stiffness.", "strong"),
        ("Several trials have demonstrated that the brace reduces knee pain.", "strong"),
        ("Researchers concluded that the gel heals blisters.", "strong"),
        ("The formula is backed by evidence.", "strong"),
        ("A science-backed blend for deeper sleep.", "strong"),
        ("Experts agree that stretching prevents injury.", "strong"),
        ("The cream is dermatologist-recommended for dry skin.", "strong"),
        ("Studies showed that the spray clears congestion.", "strong"),
        # superlatives attached to a benefit
        ("Swimming is the most effective workout for sore joints.", "strong"),
        ("Yoga is one of the best ways to lower stress.", "strong"),
        ("Best pillows for neck pain", "strong"),
        ("The best value pillow still eases neck pain.", "moderate"),
        # unqualified verdicts
        ("The tincture is effective against heartburn.", "strong"),
        ("Trust me, it works.", "strong"),
        ("Regular sleep is the key to a healthy weight.", "strong"),
        ("Hydration is crucial for kidney health.", "strong"),
        ("Fibre plays an essential role in gut health.", "strong"),
        ("Adding a short walk after meals makes all the difference for blood sugar.", "strong"),
        ("Pilates changed my life after my back surgery.", "strong"),
        # absolute and minimising safety, and negated-harm reassurance
        ("Decaf coffee is not unhealthy.", "strong"),
        ("This tonic won't harm your liver.", "strong"),
        ("The dye is non-toxic and kid-friendly.", "strong"),
        ("A joint-friendly workout for every age.", "strong"),
        ("Rowing offers a low-impact way to build endurance.", "strong"),
        ("The lotion moisturises without irritating sensitive skin.", "strong"),
        # cure words with a condition
        ("These drops wipe out ear infections.", "strong"),
        # promised numbers or speed
        ("Feel calmer within 2 weeks of daily practice.", "strong"),
        ("Say goodbye to heartburn in just three days.", "strong"),
        ("92% of our clients sleep better.", "strong"),
        # negations hedge
        ("The procedure is not risk-free.", "hedged"),
        ("Collagen powder is not a miracle for wrinkles.", "hedged"),
        ("Stretching won't necessarily prevent injuries.", "hedged"),
        # a negator reaches only its own clause
        ("Rest is not optional; it is essential for recovery.", "strong"),
        ("The balm is not only gentle but also fast-acting.", "strong"),
        # distancing
        ("Turmeric is touted as a cure for arthritis.", "hedged"),
        ("Myth: Cracking your knuckles causes arthritis.", "hedged"),
        ("Sellers claim that the bracelet relieves migraines.", "hedged"),
        ("The root is said to boost fertility.", "hedged"),
        ("Garlic was proclaimed a powerful remedy for colds.", "hedged"),
        ("Many brands claim to support healthy hormones.", "hedged"),
        # a distancing cue stops at a contrast
        ("Fats are often seen as the enemy, but olive oil is excellent for the heart.", "strong"),
        # first-person opinion governing the claim
        ("I think the foam roller is the best tool for tight calves.", "hedged"),
        ("I feel like magnesium helps my sleep.", "hedged"),
        # pure intensifiers are not boosters
        ("Walking significantly lowers blood pressure.", "moderate"),
        ("Earplugs made a major difference to my sleep.", "moderate"),
        ("The stretches dramatically reduce stiffness.", "moderate"),
        ("The wrap fully supports the ankle during recovery.", "moderate"),
        ("Massage works by relaxing tight muscles.", "moderate"),
        # hedge scope
        ("The tea, which may calm the stomach, is safe and effective.", "strong"),
        ("The tea may calm the stomach and is safe for most adults.", "hedged"),
        ("Some studies suggest the brace may help with posture.", "hedged"),
        ("Research shows the brace may help with posture.", "hedged"),
    ],
)
def test_wording_families(text, expected):
    assert wording(text) == expected


@pytest.mark.parametrize(
    "text, kind",
    [
        ("Saunas have been shown to lower blood pressure.", "establishment"),
        ("The most effective workout for sore joints is swimming.", "superlative"),
        ("Beetroot juice is excellent for stamina.", "praise"),
        ("Myth: Cracking your knuckles causes arthritis.", "distancing"),
        ("I think the foam roller helps.", "opinion"),
        ("Walking significantly lowers blood pressure.", "intensifier"),
        ("Hydration is crucial for kidney health.", "verdict"),
        ("Decaf coffee is not unhealthy.", "safety_absolute"),
        ("Collagen powder is not a miracle for wrinkles.", "denial"),
    ],
)
def test_cue_families_are_named(text, kind):
    assert kind in rate(Unit(0, 0, text, "sentence")).kinds


def test_masked_idiom_makes_no_claim():
    # "on the safe side" and "eliminate sugar" contain cue words but claim no safety or cure
    assert wording("Skip the second cup to stay on the safe side; it helps you sleep.") == "moderate"
    assert wording("Eliminating sugar helps you lose weight.") == "moderate"


@pytest.mark.parametrize(
    "text, expected",
    [
        # "safe" about a feeling, a place or the manner of doing something is no safety claim
        ("Many members say they feel safe at the studio.", "moderate"),
        ("Our clinic is a safe space for every patient.", "moderate"),
        ("Keep your family safe from misleading diet advice.", "moderate"),
        ("Here is how to perform the stretch safely.", "moderate"),
        ("Learn how to approach a juice cleanse safely.", "moderate"),
        ("Herbal teas are safe for most adults.", "strong"),
        ("You can safely take the drops every day.", "strong"),
        # "best" that ranks fit, value or a decision
        ("Pick the plan that works best for you.", "moderate"),
        ("Ask your coach which routine is best for your schedule.", "moderate"),
        ("These bands give you the best bang for your buck.", "moderate"),
        ("Best for Couples", "moderate"),
        ("For best results, store the capsules in a cool place.", "moderate"),
        ("Swimming is the best exercise for arthritic knees.", "strong"),
        ("A slow taper works best.", "strong"),
        # "always" and "100%" in narrative and description
        ("I had always heard that rowing was hard on the back.", "moderate"),
        ("The class has always been popular with nurses.", "moderate"),
        ("Beginners should always start with light weights.", "moderate"),
        ("The shirts are 100% cotton.", "moderate"),
        ("Cold showers always lift my mood.", "strong"),
        ("The patch is 100% effective against motion sickness.", "strong"),
        # key and crucial about a virtue or a to-do, not about an intervention
        ("Consistency is key.", "moderate"),
        ("Patience is crucial when you start a new plan.", "moderate"),
        ("It's crucial to read the label before you buy.", "moderate"),
        ("Vitamin D is crucial for bone health.", "strong"),
        # consumer preference and market trends are not establishment
        ("Shoppers increasingly want supplements backed by research.", "moderate"),
        ("Experts agree that the trend toward home gyms will continue.", "moderate"),
        ("Experts agree that folic acid prevents birth defects.", "strong"),
        # manner adverbs and narrative certainty
        ("Fatigue can make it hard to think clearly.", "moderate"),
        ("Clearly define your goals before the first session.", "moderate"),
        ("Every time I visit the gym, I see new faces.", "moderate"),
        ("I know this week will be busy.", "moderate"),
        ("Read our ultimate guide to cold plunges.", "moderate"),
        ("Drink a shake within 30 minutes after your workout.", "moderate"),
        ("The pads relieve cramps within 30 minutes.", "strong"),
        # reported numbers are moderate; a ceiling promised by the seller is strong
        ("In the trial, migraine days dropped by more than 40 percent.", "moderate"),
        ("The cream reduces wrinkles by up to 60%.", "strong"),
        # a bare booster answers a question and makes no claim of its own
        ("Absolutely!", "moderate"),
        ("Yes, definitely.", "moderate"),
        ("Absolutely, it cures acne.", "strong"),
        # a question asks about a claim rather than making it
        ("Is the balm safe for children?", "moderate"),
        ("What makes this serum so amazing?", "moderate"),
        ("The balm is completely safe. Does it work?", "strong"),
        # "one of the most" about popularity is no benefit
        ("One of the most common mistakes is starting too fast.", "moderate"),
        ("Yoga is one of the most effective ways to ease back pain.", "strong"),
    ],
)
def test_strong_cues_need_a_claim_context(text, expected):
    assert wording(text) == expected


@pytest.mark.parametrize(
    "text",
    [
        "This treatment is cl\u0131nically proven to work.",
        "This treatment is CL\u0130NICALLY PROVEN to work.",
        "Our balm is \u017fcientifically proven.",
    ],
)
def test_letters_that_match_case_insensitively_still_name_their_cue(text):
    wording = rate(Unit(0, 0, text, "sentence"))
    assert wording.label == "strong"
    assert "establishment" in wording.kinds or "booster" in wording.kinds
