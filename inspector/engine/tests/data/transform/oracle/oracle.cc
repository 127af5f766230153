// Test-vector oracle: runs libmodsecurity 3.0.9's own transformations.
#include <modsecurity/modsecurity.h>
#include <modsecurity/actions/action.h>
#include <iostream>
#include <string>
namespace modsecurity { namespace actions { namespace transformations {
class Transformation { public: static Transformation *instantiate(std::string a); };
}}}
static int hv(char c){ if(c>='0'&&c<='9')return c-'0'; if(c>='a'&&c<='f')return c-'a'+10; if(c>='A'&&c<='F')return c-'A'+10; return -1;}
int main(){
  std::string line;
  while (std::getline(std::cin, line)) {
    auto tab = line.find('\t');
    std::string name = line.substr(0, tab), hex = line.substr(tab+1), in;
    for (size_t i=0;i+1<hex.size();i+=2) in.push_back((char)(hv(hex[i])*16+hv(hex[i+1])));
    auto *t = reinterpret_cast<modsecurity::actions::Action*>(modsecurity::actions::transformations::Transformation::instantiate("t:"+name));
    std::string out = t->evaluate(in, nullptr);
    static const char *d = "0123456789abcdef";
    std::cout << name << '\t';
    for (unsigned char c : out) std::cout << d[c>>4] << d[c&15];
    std::cout << '\n';
    delete t;
  }
}
