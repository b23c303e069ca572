//! The place tables behind [`super::location`]: cities, countries (English and local names,
//! abbreviations), sub-national regions, demonyms and continents.
//!
//! Names are written as displayed; lookups fold them (lower case, accents removed, hyphens and dots
//! read as spaces). A city listed twice (Birmingham GB, Birmingham US) is resolved by the country
//! named next to it; the first entry is the default.

/// (display name, ISO 3166-1 alpha-2).
#[rustfmt::skip]
pub const CITIES: &[(&str, &str)] = &[
    // United Kingdom
    ("London", "GB"), ("Manchester", "GB"), ("Birmingham", "GB"), ("Liverpool", "GB"), ("Leeds", "GB"),
    ("Glasgow", "GB"), ("Edinburgh", "GB"), ("Bristol", "GB"), ("Sheffield", "GB"), ("Newcastle", "GB"),
    ("Nottingham", "GB"), ("Leicester", "GB"), ("Cardiff", "GB"), ("Belfast", "GB"), ("Brighton", "GB"),
    ("Southampton", "GB"), ("Portsmouth", "GB"), ("Plymouth", "GB"), ("Oxford", "GB"), ("Cambridge", "GB"),
    ("York", "GB"), ("Bath", "GB"), ("Norwich", "GB"), ("Exeter", "GB"), ("Aberdeen", "GB"),
    ("Dundee", "GB"), ("Inverness", "GB"), ("Swansea", "GB"), ("Coventry", "GB"), ("Stoke-on-Trent", "GB"),
    ("Derby", "GB"), ("Reading", "GB"), ("Milton Keynes", "GB"), ("Bournemouth", "GB"), ("Hull", "GB"),
    ("Sunderland", "GB"), ("Wolverhampton", "GB"), ("Preston", "GB"), ("Blackpool", "GB"), ("Bradford", "GB"),
    ("Huddersfield", "GB"), ("Chester", "GB"), ("Canterbury", "GB"), ("Lincoln", "GB"), ("Durham", "GB"),
    ("Stirling", "GB"), ("Gloucester", "GB"), ("Cheltenham", "GB"), ("Ipswich", "GB"), ("Colchester", "GB"),
    ("Luton", "GB"), ("Northampton", "GB"), ("Peterborough", "GB"), ("Worcester", "GB"), ("Carlisle", "GB"),
    ("Lancaster", "GB"), ("Bolton", "GB"), ("Wigan", "GB"), ("Stockport", "GB"), ("Salford", "GB"),
    ("Warrington", "GB"), ("Middlesbrough", "GB"), ("Derry", "GB"), ("Newport", "GB"), ("Wrexham", "GB"),
    ("Swindon", "GB"), ("Watford", "GB"), ("Guildford", "GB"), ("Croydon", "GB"), ("Southend-on-Sea", "GB"),
    ("Blackburn", "GB"), ("Doncaster", "GB"), ("Wakefield", "GB"), ("Harrogate", "GB"), ("Torquay", "GB"),
    ("Truro", "GB"), ("Falmouth", "GB"), ("Aberystwyth", "GB"), ("Bangor", "GB"), ("Brixton", "GB"),
    ("Camden", "GB"), ("Shoreditch", "GB"), ("Hackney", "GB"), ("Margate", "GB"), ("Hastings", "GB"),
    ("Eastbourne", "GB"), ("Chelmsford", "GB"), ("Maidstone", "GB"), ("Winchester", "GB"), ("Salisbury", "GB"),
    // Ireland
    ("Dublin", "IE"), ("Cork", "IE"), ("Galway", "IE"), ("Limerick", "IE"), ("Waterford", "IE"),
    ("Kilkenny", "IE"), ("Sligo", "IE"),
    // EU capitals and big cities
    ("Amsterdam", "NL"), ("Rotterdam", "NL"), ("The Hague", "NL"), ("Utrecht", "NL"), ("Eindhoven", "NL"),
    ("Groningen", "NL"), ("Haarlem", "NL"), ("Leiden", "NL"), ("Maastricht", "NL"), ("Nijmegen", "NL"),
    ("Arnhem", "NL"), ("Vienna", "AT"), ("Salzburg", "AT"), ("Graz", "AT"), ("Innsbruck", "AT"),
    ("Linz", "AT"), ("Brussels", "BE"), ("Antwerp", "BE"), ("Ghent", "BE"), ("Bruges", "BE"),
    ("Liège", "BE"), ("Leuven", "BE"), ("Sofia", "BG"), ("Plovdiv", "BG"), ("Varna", "BG"),
    ("Burgas", "BG"), ("Zagreb", "HR"), ("Split", "HR"), ("Dubrovnik", "HR"), ("Rijeka", "HR"),
    ("Zadar", "HR"), ("Nicosia", "CY"), ("Limassol", "CY"), ("Larnaca", "CY"), ("Paphos", "CY"),
    ("Prague", "CZ"), ("Brno", "CZ"), ("Ostrava", "CZ"), ("Copenhagen", "DK"), ("Aarhus", "DK"),
    ("Odense", "DK"), ("Aalborg", "DK"), ("Tallinn", "EE"), ("Tartu", "EE"), ("Helsinki", "FI"),
    ("Espoo", "FI"), ("Tampere", "FI"), ("Turku", "FI"), ("Oulu", "FI"), ("Paris", "FR"),
    ("Marseille", "FR"), ("Lyon", "FR"), ("Toulouse", "FR"), ("Nice", "FR"), ("Nantes", "FR"),
    ("Strasbourg", "FR"), ("Montpellier", "FR"), ("Bordeaux", "FR"), ("Lille", "FR"), ("Rennes", "FR"),
    ("Reims", "FR"), ("Grenoble", "FR"), ("Dijon", "FR"), ("Cannes", "FR"), ("Avignon", "FR"),
    ("Toulon", "FR"), ("Berlin", "DE"), ("Hamburg", "DE"), ("Munich", "DE"), ("Cologne", "DE"),
    ("Frankfurt", "DE"), ("Stuttgart", "DE"), ("Düsseldorf", "DE"), ("Dortmund", "DE"), ("Essen", "DE"),
    ("Leipzig", "DE"), ("Bremen", "DE"), ("Dresden", "DE"), ("Hanover", "DE"), ("Nuremberg", "DE"),
    ("Duisburg", "DE"), ("Bochum", "DE"), ("Bonn", "DE"), ("Münster", "DE"), ("Mannheim", "DE"),
    ("Karlsruhe", "DE"), ("Freiburg", "DE"), ("Heidelberg", "DE"), ("Kiel", "DE"), ("Augsburg", "DE"),
    ("Aachen", "DE"), ("Wiesbaden", "DE"), ("Mainz", "DE"), ("Rostock", "DE"), ("Athens", "GR"),
    ("Thessaloniki", "GR"), ("Patras", "GR"), ("Heraklion", "GR"), ("Mykonos", "GR"), ("Santorini", "GR"),
    ("Rhodes", "GR"), ("Corfu", "GR"), ("Budapest", "HU"), ("Debrecen", "HU"), ("Szeged", "HU"),
    ("Rome", "IT"), ("Milan", "IT"), ("Naples", "IT"), ("Turin", "IT"), ("Palermo", "IT"),
    ("Genoa", "IT"), ("Bologna", "IT"), ("Florence", "IT"), ("Venice", "IT"), ("Verona", "IT"),
    ("Bari", "IT"), ("Catania", "IT"), ("Pisa", "IT"), ("Trieste", "IT"), ("Riga", "LV"),
    ("Vilnius", "LT"), ("Kaunas", "LT"), ("Klaipėda", "LT"), ("Luxembourg", "LU"), ("Valletta", "MT"),
    ("Sliema", "MT"), ("Warsaw", "PL"), ("Kraków", "PL"), ("Łódź", "PL"), ("Wrocław", "PL"),
    ("Poznań", "PL"), ("Gdańsk", "PL"), ("Szczecin", "PL"), ("Katowice", "PL"), ("Lublin", "PL"),
    ("Lisbon", "PT"), ("Porto", "PT"), ("Faro", "PT"), ("Braga", "PT"), ("Coimbra", "PT"),
    ("Funchal", "PT"), ("Bucharest", "RO"), ("Cluj-Napoca", "RO"), ("Timișoara", "RO"), ("Iași", "RO"),
    ("Brașov", "RO"), ("Constanța", "RO"), ("Bratislava", "SK"), ("Košice", "SK"), ("Ljubljana", "SI"),
    ("Maribor", "SI"), ("Madrid", "ES"), ("Barcelona", "ES"), ("Valencia", "ES"), ("Seville", "ES"),
    ("Zaragoza", "ES"), ("Málaga", "ES"), ("Bilbao", "ES"), ("Palma", "ES"), ("Las Palmas", "ES"),
    ("Alicante", "ES"), ("Granada", "ES"), ("Córdoba", "ES"), ("Marbella", "ES"), ("San Sebastián", "ES"),
    ("Santander", "ES"), ("Valladolid", "ES"), ("Murcia", "ES"), ("Stockholm", "SE"), ("Gothenburg", "SE"),
    ("Malmö", "SE"), ("Uppsala", "SE"),
    // Rest of Europe
    ("Oslo", "NO"), ("Bergen", "NO"), ("Stavanger", "NO"), ("Trondheim", "NO"), ("Zurich", "CH"),
    ("Geneva", "CH"), ("Basel", "CH"), ("Bern", "CH"), ("Lausanne", "CH"), ("Lucerne", "CH"),
    ("Reykjavík", "IS"), ("Istanbul", "TR"), ("Ankara", "TR"), ("Antalya", "TR"), ("Izmir", "TR"),
    ("Kyiv", "UA"), ("Lviv", "UA"), ("Odesa", "UA"), ("Belgrade", "RS"), ("Novi Sad", "RS"),
    ("Sarajevo", "BA"), ("Podgorica", "ME"), ("Skopje", "MK"), ("Tirana", "AL"), ("Chișinău", "MD"),
    ("Minsk", "BY"), ("Moscow", "RU"), ("Saint Petersburg", "RU"), ("Monaco", "MC"), ("Tbilisi", "GE"),
    ("Yerevan", "AM"), ("Baku", "AZ"),
    // United States
    ("New York", "US"), ("Los Angeles", "US"), ("Chicago", "US"), ("Houston", "US"), ("Phoenix", "US"),
    ("Philadelphia", "US"), ("San Antonio", "US"), ("San Diego", "US"), ("Dallas", "US"), ("Austin", "US"),
    ("San Jose", "US"), ("San Francisco", "US"), ("Seattle", "US"), ("Denver", "US"), ("Boston", "US"),
    ("Washington", "US"), ("Nashville", "US"), ("Portland", "US"), ("Las Vegas", "US"), ("Miami", "US"),
    ("Atlanta", "US"), ("Orlando", "US"), ("Tampa", "US"), ("New Orleans", "US"), ("Detroit", "US"),
    ("Minneapolis", "US"), ("Baltimore", "US"), ("Charlotte", "US"), ("Columbus", "US"), ("Indianapolis", "US"),
    ("Salt Lake City", "US"), ("Kansas City", "US"), ("St. Louis", "US"), ("Pittsburgh", "US"), ("Cleveland", "US"),
    ("Cincinnati", "US"), ("Sacramento", "US"), ("Honolulu", "US"), ("Anchorage", "US"), ("Albuquerque", "US"),
    ("Tucson", "US"), ("Raleigh", "US"), ("Richmond", "US"), ("Milwaukee", "US"), ("Oklahoma City", "US"),
    ("Louisville", "US"), ("Memphis", "US"), ("Buffalo", "US"), ("Brooklyn", "US"), ("Oakland", "US"),
    ("Long Beach", "US"), ("Savannah", "US"), ("Charleston", "US"), ("Santa Fe", "US"), ("Boise", "US"),
    ("Omaha", "US"), ("Fort Worth", "US"), ("El Paso", "US"), ("Jacksonville", "US"), ("Providence", "US"),
    ("San Juan", "PR"),
    // Canada
    ("Toronto", "CA"), ("Montreal", "CA"), ("Vancouver", "CA"), ("Calgary", "CA"), ("Edmonton", "CA"),
    ("Ottawa", "CA"), ("Winnipeg", "CA"), ("Quebec City", "CA"), ("Halifax", "CA"), ("Hamilton", "CA"),
    // Australia and New Zealand
    ("Sydney", "AU"), ("Melbourne", "AU"), ("Brisbane", "AU"), ("Perth", "AU"), ("Adelaide", "AU"),
    ("Canberra", "AU"), ("Hobart", "AU"), ("Darwin", "AU"), ("Gold Coast", "AU"), ("Cairns", "AU"),
    ("Auckland", "NZ"), ("Wellington", "NZ"), ("Christchurch", "NZ"), ("Queenstown", "NZ"), ("Dunedin", "NZ"),
    // Elsewhere clients and guest artists often travel
    ("Tokyo", "JP"), ("Osaka", "JP"), ("Kyoto", "JP"), ("Seoul", "KR"), ("Busan", "KR"),
    ("Beijing", "CN"), ("Shanghai", "CN"), ("Hong Kong", "HK"), ("Singapore", "SG"), ("Bangkok", "TH"),
    ("Chiang Mai", "TH"), ("Phuket", "TH"), ("Bali", "ID"), ("Jakarta", "ID"), ("Kuala Lumpur", "MY"),
    ("Manila", "PH"), ("Ho Chi Minh City", "VN"), ("Hanoi", "VN"), ("Taipei", "TW"), ("Dubai", "AE"),
    ("Abu Dhabi", "AE"), ("Doha", "QA"), ("Tel Aviv", "IL"), ("Jerusalem", "IL"), ("Cairo", "EG"),
    ("Marrakesh", "MA"), ("Casablanca", "MA"), ("Cape Town", "ZA"), ("Johannesburg", "ZA"), ("Durban", "ZA"),
    ("Nairobi", "KE"), ("Lagos", "NG"), ("Accra", "GH"), ("Mumbai", "IN"), ("Delhi", "IN"),
    ("Bangalore", "IN"), ("Goa", "IN"), ("Mexico City", "MX"), ("Cancún", "MX"), ("Guadalajara", "MX"),
    ("Tulum", "MX"), ("Playa del Carmen", "MX"), ("Havana", "CU"), ("São Paulo", "BR"), ("Rio de Janeiro", "BR"),
    ("Buenos Aires", "AR"), ("Santiago", "CL"), ("Lima", "PE"), ("Bogotá", "CO"), ("Medellín", "CO"),
    ("Cartagena", "CO"), ("Quito", "EC"), ("Montevideo", "UY"), ("Panama City", "PA"),
    // Same names, other countries: chosen when that country is named too.
    ("Birmingham", "US"), ("Manchester", "US"), ("Cambridge", "US"), ("Paris", "US"), ("Perth", "GB"),
    ("London", "CA"), ("Hamilton", "NZ"), ("Valencia", "VE"), ("Córdoba", "AR"), ("Santiago", "ES"),
    ("Newcastle", "AU"), ("Melbourne", "US"), ("Portland", "GB"), ("Richmond", "GB"), ("Lincoln", "US"),
];

/// Other spellings → the display name in [`CITIES`].
#[rustfmt::skip]
pub const CITY_ALIASES: &[(&str, &str)] = &[
    ("nyc", "New York"), ("new york city", "New York"), ("manhattan", "New York"), ("ny city", "New York"),
    ("la", "Los Angeles"), ("sf", "San Francisco"), ("san fran", "San Francisco"), ("philly", "Philadelphia"),
    ("vegas", "Las Vegas"), ("dc", "Washington"), ("washington dc", "Washington"), ("nola", "New Orleans"),
    ("saint louis", "St. Louis"), ("st louis", "St. Louis"), ("slc", "Salt Lake City"),
    ("munchen", "Munich"), ("koln", "Cologne"), ("wien", "Vienna"), ("praha", "Prague"), ("roma", "Rome"),
    ("milano", "Milan"), ("firenze", "Florence"), ("napoli", "Naples"), ("venezia", "Venice"), ("torino", "Turin"),
    ("genova", "Genoa"), ("lisboa", "Lisbon"), ("bruxelles", "Brussels"), ("brussel", "Brussels"),
    ("antwerpen", "Antwerp"), ("gent", "Ghent"), ("brugge", "Bruges"), ("den haag", "The Hague"),
    ("the hague", "The Hague"), ("hague", "The Hague"), ("kobenhavn", "Copenhagen"), ("goteborg", "Gothenburg"),
    ("warszawa", "Warsaw"), ("krakow", "Kraków"), ("cracow", "Kraków"), ("lodz", "Łódź"), ("athina", "Athens"),
    ("sevilla", "Seville"), ("zurich", "Zurich"), ("zuerich", "Zurich"), ("geneve", "Geneva"), ("genf", "Geneva"),
    ("frankfurt am main", "Frankfurt"), ("hannover", "Hanover"), ("nurnberg", "Nuremberg"), ("nuernberg", "Nuremberg"),
    ("muenchen", "Munich"), ("duesseldorf", "Düsseldorf"), ("dusseldorf", "Düsseldorf"), ("bucuresti", "Bucharest"),
    ("cluj", "Cluj-Napoca"), ("kiev", "Kyiv"), ("odessa", "Odesa"), ("st petersburg", "Saint Petersburg"),
    ("saint petersburg", "Saint Petersburg"), ("saigon", "Ho Chi Minh City"), ("hcmc", "Ho Chi Minh City"),
    ("kl", "Kuala Lumpur"), ("new delhi", "Delhi"), ("bengaluru", "Bangalore"), ("bombay", "Mumbai"),
    ("cdmx", "Mexico City"), ("ciudad de mexico", "Mexico City"), ("rio", "Rio de Janeiro"), ("sao paulo", "São Paulo"),
    ("marrakech", "Marrakesh"), ("joburg", "Johannesburg"), ("jozi", "Johannesburg"), ("montreal", "Montreal"),
    ("quebec city", "Quebec City"), ("newcastle upon tyne", "Newcastle"), ("stoke", "Stoke-on-Trent"),
    ("southend", "Southend-on-Sea"), ("londonderry", "Derry"), ("mk", "Milton Keynes"), ("brum", "Birmingham"),
    ("manny", "Manchester"), ("edinburgh city", "Edinburgh"), ("reykjavik", "Reykjavík"), ("hk", "Hong Kong"),
    ("palma de mallorca", "Palma"), ("las palmas de gran canaria", "Las Palmas"), ("donostia", "San Sebastián"),
    ("luxembourg city", "Luxembourg"), ("mexico df", "Mexico City"), ("tel aviv yafo", "Tel Aviv"),
];

/// Country names, local names, abbreviations and sub-national regions → ISO alpha-2.
#[rustfmt::skip]
pub const COUNTRIES: &[(&str, &str)] = &[
    ("United Kingdom", "GB"), ("UK", "GB"), ("GB", "GB"), ("Great Britain", "GB"), ("Britain", "GB"),
    ("England", "GB"), ("Scotland", "GB"), ("Wales", "GB"), ("Northern Ireland", "GB"), ("Cymru", "GB"),
    ("the UK", "GB"), ("Ireland", "IE"), ("Republic of Ireland", "IE"), ("Eire", "IE"), ("ROI", "IE"),
    ("United States", "US"), ("United States of America", "US"), ("USA", "US"), ("America", "US"),
    ("the States", "US"), ("the US", "US"), ("US", "US"), ("U S A", "US"), ("Canada", "CA"), ("Australia", "AU"), ("Oz", "AU"),
    ("New Zealand", "NZ"), ("NZ", "NZ"), ("Aotearoa", "NZ"),
    ("Austria", "AT"), ("Osterreich", "AT"), ("Oesterreich", "AT"), ("Belgium", "BE"), ("Belgie", "BE"),
    ("Belgique", "BE"), ("Bulgaria", "BG"), ("Croatia", "HR"), ("Hrvatska", "HR"), ("Cyprus", "CY"),
    ("Czech Republic", "CZ"), ("Czechia", "CZ"), ("Denmark", "DK"), ("Danmark", "DK"), ("Estonia", "EE"),
    ("Finland", "FI"), ("Suomi", "FI"), ("France", "FR"), ("Germany", "DE"), ("Deutschland", "DE"),
    ("Greece", "GR"), ("Hellas", "GR"), ("Hungary", "HU"), ("Magyarorszag", "HU"), ("Italy", "IT"),
    ("Italia", "IT"), ("Latvia", "LV"), ("Lithuania", "LT"), ("Malta", "MT"), ("Netherlands", "NL"),
    ("the Netherlands", "NL"), ("Holland", "NL"), ("Nederland", "NL"), ("NL", "NL"), ("Poland", "PL"),
    ("Polska", "PL"), ("Portugal", "PT"), ("Romania", "RO"), ("Slovakia", "SK"), ("Slovenia", "SI"),
    ("Spain", "ES"), ("Espana", "ES"), ("Sweden", "SE"), ("Sverige", "SE"),
    ("Norway", "NO"), ("Norge", "NO"), ("Switzerland", "CH"), ("Schweiz", "CH"), ("Suisse", "CH"),
    ("Svizzera", "CH"), ("Iceland", "IS"), ("Island", "IS"), ("Turkey", "TR"), ("Turkiye", "TR"),
    ("Ukraine", "UA"), ("Serbia", "RS"), ("Bosnia", "BA"), ("Montenegro", "ME"), ("North Macedonia", "MK"),
    ("Albania", "AL"), ("Moldova", "MD"), ("Belarus", "BY"), ("Russia", "RU"), ("Georgia", "GE"),
    ("Armenia", "AM"), ("Azerbaijan", "AZ"), ("Monaco", "MC"), ("Andorra", "AD"), ("Liechtenstein", "LI"),
    ("San Marino", "SM"), ("Mexico", "MX"), ("Brazil", "BR"), ("Brasil", "BR"), ("Argentina", "AR"),
    ("Chile", "CL"), ("Colombia", "CO"), ("Peru", "PE"), ("Ecuador", "EC"), ("Uruguay", "UY"),
    ("Venezuela", "VE"), ("Cuba", "CU"), ("Costa Rica", "CR"), ("Panama", "PA"), ("Puerto Rico", "PR"),
    ("Jamaica", "JM"), ("Dominican Republic", "DO"), ("Japan", "JP"), ("South Korea", "KR"), ("Korea", "KR"),
    ("China", "CN"), ("Taiwan", "TW"), ("Thailand", "TH"), ("Vietnam", "VN"), ("Indonesia", "ID"),
    ("Malaysia", "MY"), ("Philippines", "PH"), ("India", "IN"), ("Sri Lanka", "LK"), ("Nepal", "NP"),
    ("United Arab Emirates", "AE"), ("UAE", "AE"), ("Qatar", "QA"), ("Saudi Arabia", "SA"), ("Israel", "IL"),
    ("Lebanon", "LB"), ("Egypt", "EG"), ("Morocco", "MA"), ("Tunisia", "TN"), ("South Africa", "ZA"),
    ("Kenya", "KE"), ("Nigeria", "NG"), ("Ghana", "GH"), ("Oman", "OM"), ("Pakistan", "PK"),
    ("Bangladesh", "BD"),
    // UK regions and counties
    ("Yorkshire", "GB"), ("Cornwall", "GB"), ("Devon", "GB"), ("Essex", "GB"), ("Surrey", "GB"),
    ("Sussex", "GB"), ("Lancashire", "GB"), ("Cumbria", "GB"), ("Norfolk", "GB"), ("Suffolk", "GB"),
    // Islands and regions often named instead of the country
    ("Mallorca", "ES"), ("Majorca", "ES"), ("Ibiza", "ES"), ("Tenerife", "ES"), ("Gran Canaria", "ES"),
    ("Canary Islands", "ES"), ("Canaries", "ES"), ("Sicily", "IT"), ("Sardinia", "IT"), ("Bavaria", "DE"),
    ("Bayern", "DE"), ("Crete", "GR"), ("Corsica", "FR"), ("Hawaii", "US"),
    // US states
    ("Alabama", "US"), ("Alaska", "US"), ("Arizona", "US"), ("Arkansas", "US"), ("California", "US"),
    ("Colorado", "US"), ("Connecticut", "US"), ("Delaware", "US"), ("Florida", "US"), ("Idaho", "US"),
    ("Illinois", "US"), ("Indiana", "US"), ("Iowa", "US"), ("Kansas", "US"), ("Kentucky", "US"),
    ("Louisiana", "US"), ("Maine", "US"), ("Maryland", "US"), ("Massachusetts", "US"), ("Michigan", "US"),
    ("Minnesota", "US"), ("Mississippi", "US"), ("Missouri", "US"), ("Montana", "US"), ("Nebraska", "US"),
    ("Nevada", "US"), ("New Hampshire", "US"), ("New Jersey", "US"), ("New Mexico", "US"), ("North Carolina", "US"),
    ("North Dakota", "US"), ("Ohio", "US"), ("Oklahoma", "US"), ("Oregon", "US"), ("Pennsylvania", "US"),
    ("Rhode Island", "US"), ("South Carolina", "US"), ("South Dakota", "US"), ("Tennessee", "US"), ("Texas", "US"),
    ("Utah", "US"), ("Vermont", "US"), ("Virginia", "US"), ("West Virginia", "US"), ("Washington State", "US"),
    ("Wisconsin", "US"), ("Wyoming", "US"), ("New England", "US"), ("New York State", "US"),
    // Canadian provinces, Australian states
    ("Ontario", "CA"), ("Quebec", "CA"), ("British Columbia", "CA"), ("Alberta", "CA"), ("Manitoba", "CA"),
    ("Saskatchewan", "CA"), ("Nova Scotia", "CA"), ("New Brunswick", "CA"), ("Newfoundland", "CA"),
    ("New South Wales", "AU"), ("Queensland", "AU"), ("Tasmania", "AU"), ("Western Australia", "AU"),
    ("South Australia", "AU"),
];

/// Nationalities ("I'm German") → ISO alpha-2. Used only when no place is named.
#[rustfmt::skip]
pub const DEMONYMS: &[(&str, &str)] = &[
    ("British", "GB"), ("English", "GB"), ("Scottish", "GB"), ("Welsh", "GB"), ("Northern Irish", "GB"),
    ("Brit", "GB"), ("Scot", "GB"), ("Irish", "IE"), ("American", "US"), ("Canadian", "CA"),
    ("Australian", "AU"), ("Aussie", "AU"), ("Kiwi", "NZ"), ("New Zealander", "NZ"), ("German", "DE"),
    ("French", "FR"), ("Spanish", "ES"), ("Italian", "IT"), ("Portuguese", "PT"), ("Dutch", "NL"),
    ("Belgian", "BE"), ("Swiss", "CH"), ("Austrian", "AT"), ("Polish", "PL"), ("Czech", "CZ"),
    ("Slovak", "SK"), ("Swedish", "SE"), ("Swede", "SE"), ("Norwegian", "NO"), ("Danish", "DK"),
    ("Dane", "DK"), ("Finnish", "FI"), ("Finn", "FI"), ("Greek", "GR"), ("Turkish", "TR"),
    ("Romanian", "RO"), ("Bulgarian", "BG"), ("Hungarian", "HU"), ("Croatian", "HR"), ("Slovenian", "SI"),
    ("Serbian", "RS"), ("Ukrainian", "UA"), ("Russian", "RU"), ("Lithuanian", "LT"), ("Latvian", "LV"),
    ("Estonian", "EE"), ("Maltese", "MT"), ("Cypriot", "CY"), ("Luxembourgish", "LU"), ("Icelandic", "IS"),
    ("Mexican", "MX"), ("Brazilian", "BR"), ("Argentinian", "AR"), ("Argentine", "AR"), ("Colombian", "CO"),
    ("Chilean", "CL"), ("Peruvian", "PE"), ("Japanese", "JP"), ("Chinese", "CN"), ("Korean", "KR"),
    ("Indian", "IN"), ("Thai", "TH"), ("Vietnamese", "VN"), ("Filipino", "PH"), ("Indonesian", "ID"),
    ("Malaysian", "MY"), ("Singaporean", "SG"), ("Israeli", "IL"), ("Emirati", "AE"), ("Egyptian", "EG"),
    ("Moroccan", "MA"), ("South African", "ZA"), ("Nigerian", "NG"), ("Kenyan", "KE"),
];

/// Continents and blocs: a region but no country.
#[rustfmt::skip]
pub const AREAS: &[(&str, &str)] = &[
    ("Europe", "EU"), ("the EU", "EU"), ("EU", "EU"), ("European Union", "EU"), ("Asia", "ROW"),
    ("South America", "ROW"), ("Latin America", "ROW"), ("Central America", "ROW"), ("North America", "ROW"),
    ("Africa", "ROW"), ("Middle East", "ROW"), ("Scandinavia", "ROW"), ("Caribbean", "ROW"),
];

/// Names that are also everyday English words: matched only when written with a capital letter
/// (or when they are the whole message).
#[rustfmt::skip]
pub const CAPITALISED_ONLY: &[&str] = &[
    "Nice", "Reading", "Bath", "Split", "Hull", "Derby", "Lima", "Oz", "Island", "Rio", "Goa",
    "Phoenix", "Buffalo", "Providence", "Florence", "Sofia", "Charlotte", "Austin", "Chester", "Lincoln",
    "Columbus", "Darwin", "Preston", "Hamilton", "Victoria", "Turkey", "China", "Georgia", "Chile",
    "Jersey", "Kiwi", "Scot", "Dane", "Finn", "Brit", "Bali", "Cork", "Bolton", "Eire", "Lagos",
];

/// Abbreviations that are also common lower-case words ("us", "la"): matched only in capitals
/// (or when they are the whole message).
#[rustfmt::skip]
pub const UPPER_CASE_ONLY: &[&str] = &["US", "LA", "KL", "MK", "SF", "DC", "HK", "ROI", "EU", "NZ", "GB"];
