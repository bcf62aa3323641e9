"""Function-word lists shared by the coherence steps: ``STOP`` (coherence.py's stop stems) and ``FUNCTION``
(line_noise's short function words), in a module of their own so that coherence._chrome reads both without
importing coherence.py or noise_lines.py (which import it: no import circle)."""

# Function words of four or more letters (shorter words are ignored anyway) in the languages of the evaluation
# sets. Stems, not words, are compared, so inflected forms of these collapse onto the same five letters.
STOP = frozenset(
    """
    about above after again against also although always among another anyone anything around away because been
    before being below between both cannot could does doing done down during each either else enough even ever
    every from further had has have having here hers herself himself into itself just least less like made make
    many might more most much must myself neither never none often once only other others ours ourselves over
    perhaps quite rather really same several shall should since some something still such than that their theirs
    them themselves then there therefore these they thing things this those though through thus together too
    toward towards under until upon very want well were what whatever when where whether which while whom whose
    will with within without would your yours yourself also already another became become becomes came come
    comes going said says seem seems take takes taken took used uses using first last next back good great
    little long new old same high small large year years time times people way ways part
    aber alle allem allen aller alles also andere anderen auch auf aus bei beim bereits bin bis bist damit dann
    dass davon dazu dein deine dem den denen denn der deren des dessen die dies diese diesem diesen dieser dieses
    doch dort durch eine einem einen einer eines einige etwa euch euer falls fast für gegen gewesen habe haben
    hatte hatten hier hinter ihre ihrem ihren ihrer immer indem jede jedem jeden jeder jedoch jetzt kann kein
    keine können könnte machen mehr mein meine mich mit muss nach nicht nichts noch nun nur ohne oder sehr
    sein seine seinem seinen seiner selbst sich sie sind sollte sondern soll über unter viel viele vom von
    vor wann war waren warum was weil welche welchem welchen welcher wenn wer werden wie wieder will wir wird
    wurde wurden zum zur zwar zwischen
    alors aussi autre autres avait avant avec avoir cela celle celles celui cette ceux chaque comme comment dans
    depuis donc dont elle elles encore entre était étaient être fait faire leur leurs lors mais même mêmes moins
    nous notre nos ont où par parce pendant peut peu plus pour pourquoi puis quand quel quelle quelles quels
    sans selon sera sont sous tous tout toute toutes très trop vers vous votre vos ainsi après aucun aujourd
    algo algunos algunas ante antes aquel aquella cada como con contra cual cuales cuando desde donde durante
    ella ellas ellos entre esta estas este esto estos está están fueron había hacia hasta hay más mismo mucho
    muy nada nosotros otra otras otro otros para pero poco porque puede pueden sido sobre también tanto tiene
    tienen todo todos toda todas tras una unas unos usted vamos pela pelo pelos pelas isso isto esse essa
    aquele aquela ainda assim até cada como com contra depois desde entre então está estão foram isso mais
    muito muitos nós outro outra para pelo pode podem porque quando sobre também tem têm todo toda uma umas
    alla andra annan annat att bara blev bli blir både dem den denna denne dess dessa det detta dig din dina
    ditt eller efter från genom hade han hans har henne hennes honom hon här icke inom inte jag kan kunde man
    med mellan men mer mig min mina mitt mot mycket många när någon något några och också oss över på sedan
    sig sin sina sitt ska skulle som till under upp vad var vara varit vars vem vi vid vilka vilken vilket
    även ännu
    ainoa aina ehkä eikä eivät että heidän hän häntä hänen ilman itse jolla jolle jonka jossa josta jotka
    jotta kaikki kanssa kuin kuitenkin kun lisäksi mikä minä missä mitä mutta myös niin niiden nyt olemme olen
    olet olevan oli olivat olla ollut ovat paljon sekä sitä siitä sinä sitten tämä tässä tästä vaan vain voi
    voidaan yhä
    aixo això amb aquest aquesta aquests com dels des del els fins però quan també tots totes molt sobre seva
    seus seves més
    adalah akan atau bahwa bagi belum bisa dalam dan dari dengan juga karena kami kita lagi lebih masih mereka
    namun oleh pada para saat sangat saja sebagai sudah tersebut untuk yang ini itu ada tidak
    """.split()
)

# Function words of the languages of the training and evaluation sets (short ones included: prose is full of
# them, menus and tag lists have none).
FUNCTION = frozenset(
    """
    a an the of to in on at by for from with and or but is are was were be been it its this that these those as
    not no so if than then there their they we you he she i my our your his her them me us do does did have has
    had will would can could should about into over after before when which who what how all any some more most
    der die das den dem des ein eine einen einem einer und oder aber ist sind war waren nicht mit von zu im in am
    auf für aus bei nach auch es sie er wir ich du wie als dass so wenn noch nur schon sich
    le la les un une des du de et ou mais est sont était pas ne que qui dans sur pour par avec au aux ce cette il
    elle nous vous ils je tu se sa son ses leur plus
    el la los las un una unos unas y o pero es son era no que en con por para del al lo se su sus como más muy
    och i på att en ett det den är var inte med för av till som har om men jag du han hon vi de sig så
    ja on oli ei se että kun mutta tai niin myös kuin hän me he minä sinä ovat olla jo vain
    """.split()
)
