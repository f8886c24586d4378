-- Service categories (seed 4.1 `categories`): a tree with stable slugs,
-- seeded for what people in the Philippines hire for.
CREATE TABLE categories (
    id UUID PRIMARY KEY DEFAULT gen_random_uuid(),
    parent_id UUID REFERENCES categories (id),
    slug VARCHAR(80) NOT NULL UNIQUE CHECK (slug ~ '^[a-z0-9]+(-[a-z0-9]+)*$'),
    name VARCHAR(120) NOT NULL,
    name_fil VARCHAR(120) NOT NULL,
    icon VARCHAR(60),
    sort_order INT NOT NULL DEFAULT 0,
    active BOOLEAN NOT NULL DEFAULT true
);
CREATE INDEX categories_parent_idx ON categories (parent_id, sort_order);

INSERT INTO categories (slug, name, name_fil, icon, sort_order) VALUES
    ('home-services', 'Home Services', 'Serbisyo sa Bahay', 'home', 1),
    ('lessons', 'Lessons', 'Mga Aralin', 'book', 2),
    ('it-services', 'IT and Digital', 'IT at Digital', 'laptop', 3),
    ('events', 'Events', 'Mga Okasyon', 'party', 4),
    ('beauty-wellness', 'Beauty and Wellness', 'Kagandahan at Kalusugan', 'spa', 5),
    ('moving-delivery', 'Moving and Delivery', 'Paglipat at Padala', 'truck', 6),
    ('automotive', 'Automotive', 'Sasakyan', 'car', 7);

INSERT INTO categories (parent_id, slug, name, name_fil, sort_order)
SELECT p.id, c.slug, c.name, c.name_fil, c.sort_order
FROM (VALUES
    ('home-services', 'plumbing', 'Plumbing', 'Tubero', 1),
    ('home-services', 'electrical', 'Electrical', 'Elektrisyan', 2),
    ('home-services', 'aircon-cleaning', 'Aircon Cleaning', 'Paglilinis ng Aircon', 3),
    ('home-services', 'aircon-repair', 'Aircon Repair and Installation', 'Pag-aayos at Pagkabit ng Aircon', 4),
    ('home-services', 'house-cleaning', 'House Cleaning', 'Paglilinis ng Bahay', 5),
    ('home-services', 'pest-control', 'Pest Control', 'Pagpuksa ng Peste', 6),
    ('home-services', 'appliance-repair', 'Appliance Repair', 'Pag-aayos ng Appliance', 7),
    ('home-services', 'carpentry', 'Carpentry', 'Karpintero', 8),
    ('home-services', 'painting', 'Painting', 'Pagpipinta', 9),
    ('home-services', 'laundry', 'Laundry', 'Labada', 10),
    ('lessons', 'tutoring', 'Academic Tutoring', 'Tutorial', 1),
    ('lessons', 'music-lessons', 'Music Lessons', 'Aralin sa Musika', 2),
    ('lessons', 'language-lessons', 'Language Lessons', 'Aralin sa Wika', 3),
    ('lessons', 'swimming-lessons', 'Swimming Lessons', 'Aralin sa Paglangoy', 4),
    ('lessons', 'driving-lessons', 'Driving Lessons', 'Aralin sa Pagmamaneho', 5),
    ('it-services', 'web-development', 'Web Development', 'Paggawa ng Website', 1),
    ('it-services', 'app-development', 'App Development', 'Paggawa ng App', 2),
    ('it-services', 'graphic-design', 'Graphic Design', 'Graphic Design', 3),
    ('it-services', 'computer-repair', 'Computer Repair', 'Pag-aayos ng Computer', 4),
    ('it-services', 'social-media', 'Social Media Management', 'Pamamahala ng Social Media', 5),
    ('events', 'photography', 'Photography', 'Potograpiya', 1),
    ('events', 'catering', 'Catering', 'Catering', 2),
    ('events', 'event-styling', 'Event Styling', 'Pag-aayos ng Okasyon', 3),
    ('events', 'hosting', 'Hosting and Emcee', 'Host at Emcee', 4),
    ('events', 'lights-sounds', 'Lights and Sounds', 'Ilaw at Tunog', 5),
    ('beauty-wellness', 'hair-makeup', 'Hair and Makeup', 'Buhok at Makeup', 1),
    ('beauty-wellness', 'massage', 'Home Service Massage', 'Masahe sa Bahay', 2),
    ('beauty-wellness', 'nail-care', 'Nail Care', 'Manicure at Pedicure', 3),
    ('beauty-wellness', 'fitness-coaching', 'Fitness Coaching', 'Fitness Coach', 4),
    ('moving-delivery', 'house-moving', 'House Moving', 'Paglipat ng Bahay', 1),
    ('moving-delivery', 'courier', 'Courier and Errands', 'Padala at Utos', 2),
    ('moving-delivery', 'junk-removal', 'Junk Removal', 'Pagtatapon ng Kalat', 3),
    ('automotive', 'car-repair', 'Car Repair', 'Pag-aayos ng Kotse', 1),
    ('automotive', 'car-wash', 'Home Service Car Wash', 'Car Wash sa Bahay', 2),
    ('automotive', 'motorcycle-repair', 'Motorcycle Repair', 'Pag-aayos ng Motorsiklo', 3)
) AS c (parent_slug, slug, name, name_fil, sort_order)
JOIN categories p ON p.slug = c.parent_slug;
